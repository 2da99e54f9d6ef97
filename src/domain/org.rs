//! Organization roles, as nuget.org has them.
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgRole {
    /// Manages the organization's members, keys and package owners, and publishes.
    Admin,
    /// Publishes (push, unlist, relist) the organization's packages; manages nothing.
    Collaborator,
}

impl OrgRole {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Admin => "admin",
            OrgRole::Collaborator => "collaborator",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(OrgRole::Admin),
            "collaborator" => Ok(OrgRole::Collaborator),
            other => Err(format!("'{other}' is not an organization role; use admin or collaborator")),
        }
    }
}

impl fmt::Display for OrgRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        assert_eq!(OrgRole::parse("Admin").unwrap(), OrgRole::Admin);
        assert_eq!(OrgRole::parse(OrgRole::Collaborator.as_str()).unwrap(), OrgRole::Collaborator);
        assert_eq!(
            OrgRole::parse("owner").unwrap_err(),
            "'owner' is not an organization role; use admin or collaborator"
        );
    }
}

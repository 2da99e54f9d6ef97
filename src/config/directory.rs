//! `[ldap]` (password sign-in against a directory) and `[[group_mapping]]` (organization
//! membership that follows directory or identity-provider groups): their keys, defaults and
//! start-up checks. `docs/sign-in.md` shows OpenLDAP and Active Directory configurations.
use super::ConfigError;
use serde::{Deserialize, Serialize};

/// `[ldap]`: absent = no directory; local accounts only.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LdapConfig {
    /// `ldap://host:389` (always upgraded with StartTLS) or `ldaps://host:636`.
    pub url: String,
    /// The service account that searches the directory; empty = anonymous search.
    pub bind_dn: String,
    pub bind_password: String,
    /// Where users are searched (subtree).
    pub user_base: String,
    /// Finds one user; `{username}` is replaced by the typed name, escaped per RFC 4515.
    pub user_filter: String,
    /// Where groups are searched (subtree); empty = read the user's `memberOf` attribute instead.
    pub group_base: String,
    /// Finds the user's groups; `{dn}` is the user's DN, `{username}` the name, both escaped.
    pub group_filter: String,
    /// Members of this group (a DN) are Galley administrators; others are not. Empty = the
    /// directory leaves the admin flag alone.
    pub admin_group: String,
    /// Only members of this group (a DN) may sign in. Empty = everyone `user_filter` finds.
    pub allowed_group: String,
    /// The attribute holding the Galley username (`uid`; `sAMAccountName` on Active Directory).
    pub username_attribute: String,
    /// The attribute holding the email address.
    pub email_attribute: String,
    /// A PEM file of the CA certificates the directory's certificate is checked against (for a
    /// private CA). Empty = the system's trusted roots.
    pub ca_file: String,
    /// Longest one connection or operation may take.
    pub timeout_seconds: u64,
    /// Cron expression (with seconds) of the `ldap-sync` job; empty = only by hand
    /// (`galley job ldap-sync`).
    pub sync_schedule: String,
}

impl Default for LdapConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            bind_dn: String::new(),
            bind_password: String::new(),
            user_base: String::new(),
            user_filter: "(&(objectClass=person)(uid={username}))".into(),
            group_base: String::new(),
            group_filter: "(&(objectClass=groupOfNames)(member={dn}))".into(),
            admin_group: String::new(),
            allowed_group: String::new(),
            username_attribute: "uid".into(),
            email_attribute: "mail".into(),
            ca_file: String::new(),
            timeout_seconds: 10,
            sync_schedule: "0 10 * * * *".into(),
        }
    }
}

/// The role a `[[group_mapping]]` gives in its organization.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum MappedRole {
    #[default]
    Collaborator,
    Admin,
}

impl MappedRole {
    /// The role as stored in `org_members.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            MappedRole::Collaborator => "collaborator",
            MappedRole::Admin => "admin",
        }
    }
}

/// `[[group_mapping]]`: members of `group` belong to `organization` with `role`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GroupMapping {
    /// A directory group's DN, or a group name from an identity provider's groups claim.
    pub group: String,
    /// The Galley organization's name; it must exist (mappings to a missing one are skipped and logged).
    pub organization: String,
    pub role: MappedRole,
}

pub fn validate(ldap: Option<&LdapConfig>, mappings: &[GroupMapping]) -> Result<(), ConfigError> {
    let invalid = |m: String| Err(ConfigError::Invalid(m));
    for (i, m) in mappings.iter().enumerate() {
        if m.group.trim().is_empty() || m.organization.trim().is_empty() {
            return invalid(format!("[[group_mapping]] number {} needs both group and organization", i + 1));
        }
    }
    let Some(l) = ldap else { return Ok(()) };
    let url = l.url.trim();
    let host = url.strip_prefix("ldap://").or_else(|| url.strip_prefix("ldaps://"));
    if host.is_none_or(|h| h.trim_matches('/').is_empty()) {
        return invalid(format!(
            "[ldap] url = '{url}' must look like ldap://directory.example.com (StartTLS) or ldaps://directory.example.com"
        ));
    }
    for (key, value) in [("user_base", &l.user_base), ("username_attribute", &l.username_attribute)] {
        if value.trim().is_empty() {
            return invalid(format!("[ldap] {key} must not be empty"));
        }
    }
    if !l.user_filter.contains("{username}") || !balanced(&l.user_filter) {
        return invalid(format!(
            "[ldap] user_filter = '{}' must be a filter in parentheses containing {{username}}, e.g. (&(objectClass=person)(uid={{username}}))",
            l.user_filter
        ));
    }
    if !l.group_base.trim().is_empty() && !balanced(&l.group_filter) {
        return invalid(format!(
            "[ldap] group_filter = '{}' must be a filter in parentheses, e.g. (&(objectClass=groupOfNames)(member={{dn}}))",
            l.group_filter
        ));
    }
    if l.bind_dn.trim().is_empty() != l.bind_password.is_empty() {
        return invalid(
            "[ldap] bind_dn and bind_password go together: set both, or neither for an anonymous search".into(),
        );
    }
    if !l.ca_file.is_empty() && !std::path::Path::new(&l.ca_file).is_file() {
        return invalid(format!("[ldap] ca_file = '{}' is not a readable file", l.ca_file));
    }
    if l.timeout_seconds == 0 {
        return invalid("[ldap] timeout_seconds must be at least 1".into());
    }
    Ok(())
}

/// A filter starts with `(` and its parentheses balance (the server checks the rest).
fn balanced(filter: &str) -> bool {
    let mut depth = 0i32;
    for c in filter.trim().chars() {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        if depth < 0 {
            return false;
        }
    }
    filter.trim().starts_with('(') && depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ldap() -> LdapConfig {
        LdapConfig {
            url: "ldap://127.0.0.1:389".into(),
            user_base: "ou=people,dc=example,dc=com".into(),
            ..LdapConfig::default()
        }
    }

    fn error(l: &LdapConfig) -> String {
        validate(Some(l), &[]).unwrap_err().to_string()
    }

    #[test]
    fn a_minimal_section_is_valid() {
        validate(Some(&ldap()), &[]).unwrap();
        validate(None, &[]).unwrap();
    }

    #[test]
    fn bad_sections_name_the_key() {
        assert_eq!(
            error(&LdapConfig { url: "http://x".into(), ..ldap() }),
            "invalid configuration: [ldap] url = 'http://x' must look like ldap://directory.example.com (StartTLS) or ldaps://directory.example.com"
        );
        assert_eq!(
            error(&LdapConfig { user_base: " ".into(), ..ldap() }),
            "invalid configuration: [ldap] user_base must not be empty"
        );
        assert!(error(&LdapConfig { user_filter: "(uid=alice)".into(), ..ldap() })
            .starts_with("invalid configuration: [ldap] user_filter = '(uid=alice)' must be a filter"));
        assert!(error(&LdapConfig { user_filter: "(uid={username}".into(), ..ldap() }).contains("user_filter"));
        let groups = LdapConfig { group_base: "ou=groups".into(), group_filter: "member={dn})(".into(), ..ldap() };
        assert!(error(&groups).contains("[ldap] group_filter"));
        assert_eq!(
            error(&LdapConfig { bind_dn: "cn=galley".into(), ..ldap() }),
            "invalid configuration: [ldap] bind_dn and bind_password go together: set both, or neither for an anonymous search"
        );
        assert!(error(&LdapConfig { ca_file: "/nonexistent/ca.pem".into(), ..ldap() }).contains("[ldap] ca_file"));
        assert!(error(&LdapConfig { timeout_seconds: 0, ..ldap() }).contains("timeout_seconds"));
    }

    #[test]
    fn mappings_need_a_group_and_an_organization() {
        let m = GroupMapping { group: "cn=x".into(), ..GroupMapping::default() };
        assert_eq!(
            validate(None, &[m]).unwrap_err().to_string(),
            "invalid configuration: [[group_mapping]] number 1 needs both group and organization"
        );
        let bad_role = super::super::Config::from_toml(
            "[[group_mapping]]\ngroup = \"cn=x\"\norganization = \"o\"\nrole = \"owner\"\n",
        )
        .unwrap_err();
        assert!(bad_role.contains("unknown variant `owner`"), "{bad_role}");
    }

    /// The commented `[ldap]` and `[[group_mapping]]` examples, uncommented, are a valid
    /// configuration that shows every key of `[ldap]`.
    #[test]
    fn example_file_documents_every_ldap_key() {
        let text = include_str!("../../config.example.toml");
        let block: String = text
            .lines()
            .skip_while(|l| *l != "# [ldap]")
            .take_while(|l| !l.starts_with("# Upstream feeds"))
            .filter_map(|l| l.strip_prefix("# "))
            // Keys and table headers; the prose between the two examples is not TOML.
            .filter(|l| !l.starts_with('#') && (l.starts_with('[') || l.contains(" = ")))
            .flat_map(|l| [l, "\n"])
            .collect();
        let example = super::super::Config::from_toml(&block).unwrap();
        let ldap = example.ldap.as_ref().unwrap();
        assert_eq!(example.group_mapping.len(), 1);
        validate(Some(ldap), &example.group_mapping).unwrap();
        let table: toml::Table = toml::from_str(&block).unwrap();
        let mut documented: Vec<String> = table["ldap"].as_table().unwrap().keys().cloned().collect();
        let mut known: Vec<String> = toml::Table::try_from(LdapConfig::default()).unwrap().keys().cloned().collect();
        documented.sort();
        known.sort();
        assert_eq!(documented, known);
    }
}

//! Who may do what to a package: decided here once, for v2, v3, the portal and import.
use crate::domain::api_key::{PackageGlobs, Scope};
use crate::error::AppError;

/// The account acting, and how: a session (full rights of the account) or an API key (its grant).
#[derive(Debug, Clone)]
pub struct Principal {
    /// The account the action is done for (a user, or an organization for its keys); `None` for
    /// an operator import that assigns no owner.
    pub account_id: Option<i64>,
    /// Accounts whose packages this principal may act on (itself plus its organizations).
    pub acts_for: Vec<i64>,
    pub username: String,
    pub is_admin: bool,
    pub key: Option<KeyGrant>,
}

#[derive(Debug, Clone)]
pub struct KeyGrant {
    pub key_id: i64,
    pub scopes: Vec<Scope>,
    pub globs: PackageGlobs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageAction {
    Push,
    /// Unlist, relist and delete.
    Unlist,
}

impl Principal {
    /// A trusted local operator (CLI import): may publish anything; new ids get `owner` (if any)
    /// as their owner.
    pub fn operator(owner: Option<i64>, username: &str) -> Self {
        Self {
            account_id: owner,
            acts_for: owner.into_iter().collect(),
            username: username.to_owned(),
            is_admin: true,
            key: None,
        }
    }
}

/// `owners` is `None` when the id does not exist yet (a push would create it).
pub fn authorize(
    p: &Principal,
    action: PackageAction,
    package_id: &str,
    owners: Option<&[i64]>,
) -> Result<(), AppError> {
    if let Some(grant) = &p.key {
        let scope_ok = match (action, owners) {
            (PackageAction::Push, None) => grant.scopes.contains(&Scope::Push),
            (PackageAction::Push, Some(_)) => {
                grant.scopes.iter().any(|s| matches!(s, Scope::Push | Scope::PushVersion))
            }
            (PackageAction::Unlist, _) => grant.scopes.contains(&Scope::Unlist),
        };
        if !scope_ok {
            let what = match (action, owners) {
                (PackageAction::Push, None) => "push new package ids (it has only the push-version scope)",
                (PackageAction::Push, Some(_)) => "push packages (it lacks the push scope)",
                (PackageAction::Unlist, _) => "unlist or relist packages (it lacks the unlist scope)",
            };
            return Err(AppError::Forbidden(format!("This API key is not allowed to {what}.")));
        }
        if !grant.globs.allows(package_id) {
            return Err(AppError::Forbidden(format!(
                "This API key is not allowed to act on '{package_id}': it is limited to packages matching {}.",
                grant.globs.patterns().join(", ")
            )));
        }
    }
    let Some(owners) = owners else {
        return Ok(());
    };
    if p.is_admin || owners.iter().any(|o| p.acts_for.contains(o)) {
        return Ok(());
    }
    let verb = match action {
        PackageAction::Push => "push new versions of it",
        PackageAction::Unlist => "unlist or relist it",
    };
    Err(AppError::Forbidden(format!(
        "The package '{package_id}' is owned by another account; only its owners may {verb}."
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64) -> Principal {
        Principal { account_id: Some(id), acts_for: vec![id], username: format!("u{id}"), is_admin: false, key: None }
    }

    fn with_key(id: i64, scopes: &[Scope], globs: &[&str]) -> Principal {
        Principal {
            key: Some(KeyGrant { key_id: 1, scopes: scopes.to_vec(), globs: PackageGlobs::parse(globs).unwrap() }),
            ..user(id)
        }
    }

    #[test]
    fn anyone_with_push_may_create_a_new_id() {
        assert!(authorize(&with_key(1, &[Scope::Push], &[]), PackageAction::Push, "New.Id", None).is_ok());
    }

    #[test]
    fn only_owners_push_new_versions() {
        let err = authorize(&user(2), PackageAction::Push, "Acme.Core", Some(&[1])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "The package 'Acme.Core' is owned by another account; only its owners may push new versions of it."
        );
        assert!(authorize(&user(1), PackageAction::Push, "Acme.Core", Some(&[1, 3])).is_ok());
        let admin = Principal { is_admin: true, ..user(9) };
        assert!(authorize(&admin, PackageAction::Push, "Acme.Core", Some(&[1])).is_ok());
    }

    #[test]
    fn push_version_scope_cannot_create_ids() {
        let p = with_key(1, &[Scope::PushVersion], &[]);
        let err = authorize(&p, PackageAction::Push, "New.Id", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "This API key is not allowed to push new package ids (it has only the push-version scope)."
        );
        assert!(authorize(&p, PackageAction::Push, "Mine", Some(&[1])).is_ok());
    }

    #[test]
    fn globs_limit_the_ids() {
        let p = with_key(1, &[Scope::Push], &["Acme.*"]);
        let err = authorize(&p, PackageAction::Push, "Other.Lib", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "This API key is not allowed to act on 'Other.Lib': it is limited to packages matching Acme.*."
        );
        assert!(authorize(&p, PackageAction::Push, "acme.core", None).is_ok());
    }

    #[test]
    fn unlist_needs_its_scope_and_ownership() {
        let p = with_key(1, &[Scope::Push], &[]);
        assert!(authorize(&p, PackageAction::Unlist, "Mine", Some(&[1])).is_err());
        let p = with_key(1, &[Scope::Unlist], &[]);
        assert!(authorize(&p, PackageAction::Unlist, "Mine", Some(&[1])).is_ok());
        assert!(authorize(&p, PackageAction::Unlist, "Theirs", Some(&[2])).is_err());
    }
}

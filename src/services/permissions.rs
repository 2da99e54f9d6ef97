//! Who may do what to a package or an organization: decided here once, for v2, v3, the portal,
//! the JSON API and the CLI.
use crate::domain::api_key::{PackageGlobs, Scope};
use crate::error::AppError;

/// The account acting, and how: a session (full rights of the account) or an API key (its grant).
#[derive(Debug, Clone, Default)]
pub struct Principal {
    /// The account the action is done for (a user, or an organization for its keys); `None` for
    /// an operator import that assigns no owner.
    pub account_id: Option<i64>,
    /// Accounts whose packages this principal may push and unlist: itself plus every
    /// organization it belongs to (any role).
    pub acts_for: Vec<i64>,
    /// Accounts whose packages' owners this principal may manage: itself plus the organizations
    /// it is an admin of. Always empty for API keys, which never manage owners.
    pub manages: Vec<i64>,
    pub username: String,
    pub is_admin: bool,
    /// Set when `[accounts] require_confirmed_email` is on and the acting user has not confirmed
    /// the address yet: every push is refused until then.
    pub must_confirm_email: bool,
    /// Set when `[accounts] require_2fa_for_publishers` is on and the signed-in user has not
    /// turned two-factor authentication on: creating API keys and uploading are refused until
    /// then. Never set for an API key, so keys issued earlier keep working for clients.
    pub must_enrol_two_factor: bool,
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
    /// Deprecate a version or withdraw its deprecation: like unlisting, a statement about
    /// published versions, so the same people and the same key scope.
    Deprecate,
    /// Invite, remove and cancel owners.
    ManageOwners,
    /// Read the package's audit log.
    ReadAudit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgAction {
    /// See the members.
    View,
    /// Add, remove and change members; create and delete the organization's API keys.
    Manage,
}

impl Principal {
    /// A trusted local operator (CLI import, `galley owner`): may act on anything; new ids get
    /// `owner` (if any) as their owner.
    pub fn operator(owner: Option<i64>, username: &str) -> Self {
        Self {
            account_id: owner,
            acts_for: owner.into_iter().collect(),
            username: username.to_owned(),
            is_admin: true,
            ..Self::default()
        }
    }
}

pub const CONFIRM_EMAIL_FIRST: &str =
    "Confirm your email address before publishing: open the link in the confirmation email \
     (POST /api/account/confirm-email/resend sends a new one).";

pub const TWO_FACTOR_FIRST: &str =
    "This server requires two-factor authentication before creating API keys or uploading: \
     turn it on under Account settings, Two-factor authentication (/account/two-factor).";

/// `[accounts] require_2fa_for_publishers`: the one check of creating API keys and uploading.
pub fn may_publish_with_session(p: &Principal) -> Result<(), AppError> {
    if p.must_enrol_two_factor {
        Err(AppError::Forbidden(TWO_FACTOR_FIRST.into()))
    } else {
        Ok(())
    }
}

/// `owners` is `None` when the id does not exist yet (a push would create it).
pub fn authorize(
    p: &Principal,
    action: PackageAction,
    package_id: &str,
    owners: Option<&[i64]>,
) -> Result<(), AppError> {
    if action == PackageAction::Push && p.must_confirm_email {
        return Err(AppError::Forbidden(CONFIRM_EMAIL_FIRST.into()));
    }
    if action == PackageAction::Push {
        may_publish_with_session(p)?;
    }
    if let Some(grant) = &p.key {
        check_key(grant, action, package_id, owners)?;
    }
    let Some(owners) = owners else {
        return Ok(());
    };
    let allowed_by = match action {
        PackageAction::Push | PackageAction::Unlist | PackageAction::Deprecate | PackageAction::ReadAudit => {
            &p.acts_for
        }
        PackageAction::ManageOwners => &p.manages,
    };
    if p.is_admin || owners.iter().any(|o| allowed_by.contains(o)) {
        return Ok(());
    }
    if action == PackageAction::ManageOwners && owners.iter().any(|o| p.acts_for.contains(o)) {
        return Err(AppError::Forbidden(format!(
            "'{package_id}' is owned by an organization in which you are a collaborator; only its admins may manage the owners."
        )));
    }
    let verb = match action {
        PackageAction::Push => "push new versions of it",
        PackageAction::Unlist => "unlist or relist it",
        PackageAction::Deprecate => "deprecate it",
        PackageAction::ManageOwners => "manage its owners",
        PackageAction::ReadAudit => "read its audit log",
    };
    Err(AppError::Forbidden(format!(
        "The package '{package_id}' is owned by another account; only its owners may {verb}."
    )))
}

fn check_key(
    grant: &KeyGrant,
    action: PackageAction,
    package_id: &str,
    owners: Option<&[i64]>,
) -> Result<(), AppError> {
    let scope_ok = match (action, owners) {
        (PackageAction::Push, None) => grant.scopes.contains(&Scope::Push),
        (PackageAction::Push, Some(_)) => grant.scopes.iter().any(|s| matches!(s, Scope::Push | Scope::PushVersion)),
        (PackageAction::Unlist | PackageAction::Deprecate, _) => grant.scopes.contains(&Scope::Unlist),
        (PackageAction::ManageOwners | PackageAction::ReadAudit, _) => false,
    };
    if !scope_ok {
        let has_push_version = grant.scopes.contains(&Scope::PushVersion);
        let what = match (action, owners) {
            (PackageAction::Push, None) if has_push_version => {
                "push new package ids (it has only the push-version scope)"
            }
            (PackageAction::Push, _) => "push packages (it lacks the push scope)",
            (PackageAction::Unlist, _) => "unlist or relist packages (it lacks the unlist scope)",
            (PackageAction::Deprecate, _) => "deprecate packages (it lacks the unlist scope)",
            (PackageAction::ManageOwners | PackageAction::ReadAudit, _) => {
                "manage owners or read audit logs; sign in instead"
            }
        };
        return Err(AppError::Forbidden(format!("This API key is not allowed to {what}.")));
    }
    if !grant.globs.allows(package_id) {
        return Err(AppError::Forbidden(format!(
            "This API key is not allowed to act on '{package_id}': it is limited to packages matching {}.",
            grant.globs.patterns().join(", ")
        )));
    }
    Ok(())
}

/// Organization-level rights: members see it, its admins (and site admins) manage it.
pub fn authorize_org(p: &Principal, action: OrgAction, org_id: i64, org_name: &str) -> Result<(), AppError> {
    if p.key.is_some() {
        return Err(AppError::Forbidden("API keys cannot manage organizations; sign in instead.".into()));
    }
    let allowed = p.is_admin
        || match action {
            OrgAction::View => p.acts_for.contains(&org_id),
            OrgAction::Manage => p.manages.contains(&org_id),
        };
    if allowed {
        return Ok(());
    }
    Err(AppError::Forbidden(match action {
        OrgAction::View => format!("Only members of the organization '{org_name}' may see it."),
        OrgAction::Manage => {
            format!("Only admins of the organization '{org_name}' may manage its members and API keys.")
        }
    }))
}

/// Who may answer (accept or decline) an owner invitation sent to `invitee_id`: the invited
/// account itself, or for an organization one of its admins. Never an API key.
pub fn may_answer_invitation(p: &Principal, invitee_id: i64) -> bool {
    p.key.is_none() && (p.account_id == Some(invitee_id) || p.manages.contains(&invitee_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64) -> Principal {
        Principal {
            account_id: Some(id),
            acts_for: vec![id],
            manages: vec![id],
            username: format!("u{id}"),
            ..Principal::default()
        }
    }

    fn with_key(id: i64, scopes: &[Scope], globs: &[&str]) -> Principal {
        Principal {
            manages: vec![],
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
    fn unlist_only_key_is_told_it_lacks_the_push_scope() {
        let p = with_key(1, &[Scope::Unlist], &[]);
        for owners in [None, Some(&[1][..])] {
            let err = authorize(&p, PackageAction::Push, "New.Id", owners).unwrap_err();
            assert_eq!(err.to_string(), "This API key is not allowed to push packages (it lacks the push scope).");
        }
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

    #[test]
    fn deprecating_takes_what_unlisting_takes() {
        let push_only = with_key(1, &[Scope::Push], &[]);
        assert_eq!(
            authorize(&push_only, PackageAction::Deprecate, "Mine", Some(&[1])).unwrap_err().to_string(),
            "This API key is not allowed to deprecate packages (it lacks the unlist scope)."
        );
        assert!(authorize(&with_key(1, &[Scope::Unlist], &[]), PackageAction::Deprecate, "Mine", Some(&[1])).is_ok());
        assert_eq!(
            authorize(&user(2), PackageAction::Deprecate, "Mine", Some(&[1])).unwrap_err().to_string(),
            "The package 'Mine' is owned by another account; only its owners may deprecate it."
        );
    }

    #[test]
    fn org_collaborators_publish_but_do_not_manage_owners() {
        // User 1 is a collaborator of organization 50, an admin of organization 60.
        let p = Principal { acts_for: vec![1, 50, 60], manages: vec![1, 60], ..user(1) };
        assert!(authorize(&p, PackageAction::Push, "Org.Lib", Some(&[50])).is_ok());
        assert!(authorize(&p, PackageAction::Unlist, "Org.Lib", Some(&[50])).is_ok());
        let err = authorize(&p, PackageAction::ManageOwners, "Org.Lib", Some(&[50])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "'Org.Lib' is owned by an organization in which you are a collaborator; only its admins may manage the owners."
        );
        assert!(authorize(&p, PackageAction::ManageOwners, "Other.Lib", Some(&[60])).is_ok());
        assert!(authorize_org(&p, OrgAction::View, 50, "acme").is_ok());
        assert!(authorize_org(&p, OrgAction::Manage, 50, "acme").is_err());
        assert!(authorize_org(&p, OrgAction::Manage, 60, "beta").is_ok());
    }

    #[test]
    fn keys_never_manage_owners() {
        let p = with_key(1, &[Scope::Push, Scope::Unlist], &[]);
        let err = authorize(&p, PackageAction::ManageOwners, "Mine", Some(&[1])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "This API key is not allowed to manage owners or read audit logs; sign in instead."
        );
        assert!(!may_answer_invitation(&p, 1));
        assert!(may_answer_invitation(&user(1), 1));
        assert!(!may_answer_invitation(&user(2), 1));
    }

    #[test]
    fn unconfirmed_email_blocks_publishing_only() {
        let p = Principal { must_confirm_email: true, ..user(1) };
        assert_eq!(
            authorize(&p, PackageAction::Push, "Mine", Some(&[1])).unwrap_err().to_string(),
            CONFIRM_EMAIL_FIRST
        );
        assert!(authorize(&p, PackageAction::Unlist, "Mine", Some(&[1])).is_ok());
    }
}

//! Builds the `Principal` of a signed-in user or of an API key's account, with the
//! organizations it acts for: the one place that turns memberships into rights.
use super::permissions::{KeyGrant, Principal};
use crate::config::AccountsConfig;
use crate::db::sql::Sql;
use crate::db::{orgs, two_factor, users::UserRow};
use crate::domain::org::OrgRole;
use crate::error::AppError;
use crate::state::AppState;

/// The principal of a signed-in user: its own account plus its organizations (all of them for
/// publishing, those it administers for managing).
pub fn for_user(state: &AppState, user: &UserRow) -> Result<Principal, AppError> {
    for_user_in(&state.conn()?, user, &state.config.accounts)
}

/// `for_user` on the caller's connection (inside its transaction, if any), under `policy`.
pub(super) fn for_user_in(conn: &dyn Sql, user: &UserRow, policy: &AccountsConfig) -> Result<Principal, AppError> {
    let memberships = orgs::memberships(conn, user.id)?;
    let mut acts_for = vec![user.id];
    let mut manages = vec![user.id];
    for m in &memberships {
        acts_for.push(m.org_id);
        if m.role == OrgRole::Admin.as_str() {
            manages.push(m.org_id);
        }
    }
    Ok(Principal {
        account_id: Some(user.id),
        acts_for,
        manages,
        username: user.username.clone(),
        is_admin: user.is_admin,
        must_confirm_email: policy.require_confirmed_email && !user.email_confirmed,
        must_enrol_two_factor: policy.require_2fa_for_publishers && !two_factor::is_enabled(conn, user.id)?,
        key: None,
    })
}

/// The principal of an API key created by `creator` for `owner` (the creator itself, or an
/// organization it belongs to). A personal key acts for the user and its organizations; an
/// organization's key acts for that organization only. Keys never manage owners. Runs on the
/// caller's connection.
pub(super) fn for_key_in(
    conn: &dyn Sql,
    creator: &UserRow,
    owner: &UserRow,
    grant: KeyGrant,
    policy: &AccountsConfig,
) -> Result<Principal, AppError> {
    let mut principal = for_user_in(conn, creator, policy)?;
    principal.manages.clear();
    // Keys issued before `require_2fa_for_publishers` was turned on keep working for clients.
    principal.must_enrol_two_factor = false;
    principal.key = Some(grant);
    if owner.id != creator.id {
        if orgs::role_of(conn, owner.id, creator.id)?.is_none() {
            return Err(AppError::Forbidden(format!(
                "The API key's creator '{}' is no longer a member of the organization '{}'; create a new key.",
                creator.username, owner.username
            )));
        }
        principal.account_id = Some(owner.id);
        principal.acts_for = vec![owner.id];
        // An organization is not an administrator, whoever created its key.
        principal.is_admin = false;
    }
    Ok(principal)
}

//! Accounts: registering and creating users, checking and changing passwords, the admin flags.
use super::permissions::Principal;
use super::{audit, email_links, in_transaction};
use crate::db::sql::Sql;
use crate::db::{orgs, sessions, users};
use crate::domain::password;
use crate::error::AppError;
use crate::state::AppState;
use serde::Serialize;
use std::sync::OnceLock;

pub struct NewAccount<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub is_admin: bool,
}

pub const TAKEN: &str = "That username or email address is already registered.";
/// Usernames are public (profile pages), so saying one is taken reveals nothing; email addresses
/// are not, so registration never says an address is taken.
pub const USERNAME_TAKEN: &str = "That username is already taken; choose another.";

/// An account an administrator creates (CLI, admin API): vouched for, no confirmation needed to read.
pub fn create_user(state: &AppState, account: &NewAccount<'_>) -> Result<i64, AppError> {
    let hash = checked_hash(account, state.config.accounts.bcrypt_cost)?;
    insert_account(&state.conn()?, account, &hash, false)
}

/// The operator's `galley user add`: the account, its address confirmed (the operator vouches for
/// it, so no confirmation email) and the audit row, together.
pub fn create_by_operator(state: &AppState, account: &NewAccount<'_>, by: &str) -> Result<i64, AppError> {
    let hash = checked_hash(account, state.config.accounts.bcrypt_cost)?;
    in_transaction(state, |tx| {
        let id = insert_account(tx, account, &hash, false)?;
        users::set_email_confirmed(tx, id)?;
        let actor = Principal { username: by.to_owned(), ..Principal::default() };
        audit::record(tx, &actor, None, "user.create", None, Some(account.username))?;
        Ok(id)
    })
}

/// Checks the name, address and password against the policy and hashes the password: before
/// any transaction, since bcrypt is slow and the write lock is shared.
fn checked_hash(account: &NewAccount<'_>, bcrypt_cost: u32) -> Result<String, AppError> {
    password::check_username(account.username).map_err(AppError::bad_input)?;
    password::check_email(account.email).map_err(AppError::bad_input)?;
    password::check_strength(account.password).map_err(AppError::bad_input)?;
    bcrypt::hash(account.password, bcrypt_cost).map_err(AppError::internal)
}

/// Runs inside the caller's transaction.
fn insert_account(
    conn: &dyn Sql,
    account: &NewAccount<'_>,
    hash: &str,
    self_registered: bool,
) -> Result<i64, AppError> {
    let new = users::NewUser {
        username: account.username,
        email: account.email,
        password_hash: Some(hash),
        is_admin: account.is_admin,
        is_organization: false,
        self_registered,
    };
    match users::insert(conn, &new) {
        Ok(id) => Ok(id),
        Err(e) if e.is_unique_violation() => Err(AppError::Conflict(TAKEN.into())),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Registered {
    pub username: String,
    pub email: String,
    pub email_confirmed: bool,
    /// `[accounts] require_approval`: the account stays disabled until an administrator enables it.
    pub awaiting_approval: bool,
}

/// Whether visitors may register: `[accounts] allow_registration`, and on a private feed also
/// `private_feed_registration` (a private feed must not hand out read access to anyone who asks).
pub fn registration_open(config: &crate::config::Config) -> bool {
    config.accounts.allow_registration && (!config.feed.require_auth || config.accounts.private_feed_registration)
}

/// Self-service registration; sends the confirmation email. The answer is the same whether or
/// not the email address already has an account: when it has, nothing is created and its owner
/// is told by mail instead (as nuget.org does), so registration cannot probe for addresses.
pub fn register(state: &AppState, account: &NewAccount<'_>, ip: Option<&str>) -> Result<Registered, AppError> {
    if !registration_open(&state.config) {
        return Err(AppError::Forbidden(
            "Registration is closed on this server; ask an administrator for an account.".into(),
        ));
    }
    password::check_username(account.username).map_err(AppError::bad_input)?;
    password::check_email(account.email).map_err(AppError::bad_input)?;
    password::check_strength(account.password).map_err(AppError::bad_input)?;
    let awaiting_approval = state.config.accounts.require_approval;
    let answer = Registered {
        username: account.username.to_owned(),
        email: account.email.to_owned(),
        email_confirmed: false,
        awaiting_approval,
    };
    let conn = state.conn()?;
    if users::by_name(&conn, account.username)?.is_some() {
        return Err(AppError::Conflict(USERNAME_TAKEN.into()));
    }
    let existing = users::by_email(&conn, account.email)?;
    drop(conn);
    if let Some(existing) = existing {
        // The same bcrypt work as a real registration, so the answer takes as long.
        bcrypt::hash(account.password, state.config.accounts.bcrypt_cost).map_err(AppError::internal)?;
        // The owner's mail record and the audit row land together, and the mail goes out only
        // once both are committed, as on the main branch below.
        let mail = in_transaction(state, |tx| {
            let mail = if existing.is_organization {
                None
            } else {
                let message = crate::mail::templates::address_in_use::render(
                    &existing.email,
                    &existing.username,
                    account.username,
                    &state.urls.forgot_password(),
                );
                Some(super::notify::record(tx, "address-in-use", message)?)
            };
            let actor = Principal { username: account.username.to_owned(), ..Principal::default() };
            audit::record(tx, &actor, ip, "account.register.address_in_use", None, Some(&existing.username))?;
            Ok(mail)
        })?;
        if let Some(mail) = mail {
            mail.post(&state.mail);
        }
        return Ok(answer);
    }
    let account = NewAccount { is_admin: false, ..*account };
    let hash = checked_hash(&account, state.config.accounts.bcrypt_cost)?;
    // The account, its approval hold, its audit row and its confirmation mail's record land
    // together: an account awaiting approval is never enabled, not even for a moment, and a
    // registration rolled back sends no mail.
    let mail = in_transaction(state, |tx| {
        let id = match insert_account(tx, &account, &hash, true) {
            // A race with another registration: only the name can still be the conflict worth naming.
            Err(AppError::Conflict(_)) => return Err(AppError::Conflict(USERNAME_TAKEN.into())),
            other => other?,
        };
        if awaiting_approval {
            users::set_disabled(tx, id, true)?;
        }
        let actor = Principal { account_id: Some(id), username: account.username.to_owned(), ..Principal::default() };
        audit::record(tx, &actor, ip, "account.register", None, None)?;
        email_links::confirmation_in(state, tx, id, account.email)
    })?;
    // After the commit: the mail thread records the outcome against a committed row.
    mail.post(&state.mail);
    Ok(answer)
}

/// A bcrypt hash verified when the user is unknown, so that a wrong username costs the same
/// time as a wrong password and does not reveal which accounts exist. Computed once, at the
/// configured cost (one process serves one configuration).
fn dummy_hash(cost: u32) -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| bcrypt::hash("galley-dummy-password-for-timing", cost).unwrap_or_default())
}

/// Checks a username (or email) and password; `None` for any failure (unknown, organization,
/// disabled, wrong password), so callers cannot tell the cases apart. Runs on the caller's connection.
pub(super) fn verify_password_in(
    conn: &dyn Sql,
    name_or_email: &str,
    password: &str,
    cost: u32,
) -> Result<Option<users::UserRow>, AppError> {
    let user = users::by_name_or_email(conn, name_or_email.trim())?;
    let hash = user.as_ref().and_then(|u| u.password_hash.clone()).unwrap_or_else(|| dummy_hash(cost).to_owned());
    let ok = bcrypt::verify(password, &hash).unwrap_or(false);
    Ok(user.filter(|u| ok && !u.is_disabled && !u.is_organization))
}

/// Changes the password after checking the current one; ends the account's other sessions.
pub fn change_password(
    state: &AppState,
    p: &Principal,
    session_id: Option<i64>,
    current: &str,
    new: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let user = {
        let conn = state.conn()?;
        let user = users::by_id(&conn, p.account_id.unwrap_or_default())?
            .ok_or_else(|| AppError::NotFound("The account no longer exists.".into()))?;
        let attempt = state.logins.attempt(Some(&user.username), ip);
        state.logins.refuse_if_exhausted(&attempt)?;
        if verify_password_in(&conn, &user.username, current, state.config.accounts.bcrypt_cost)?.is_none() {
            state.logins.record_failure(&attempt, std::time::Instant::now());
            return Err(AppError::Forbidden("The current password is incorrect.".into()));
        }
        user
    };
    // Hashed before the transaction: bcrypt is slow, and the write lock is shared.
    password::check_strength(new).map_err(AppError::bad_input)?;
    let hash = bcrypt::hash(new, state.config.accounts.bcrypt_cost).map_err(AppError::internal)?;
    // The new password and the end of the other sessions land together.
    in_transaction(state, |tx| {
        users::set_password_hash(tx, user.id, &hash)?;
        sessions::delete_for_user(tx, user.id, session_id)?;
        audit::record(tx, p, ip, "account.password", None, None)
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Membership {
    pub organization: String,
    pub role: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    pub username: String,
    pub email: String,
    pub email_confirmed: bool,
    pub is_admin: bool,
    pub organizations: Vec<Membership>,
}

/// The account as its owner sees it.
pub fn profile(state: &AppState, user_id: i64) -> Result<Profile, AppError> {
    profile_in(&state.conn()?, user_id)
}

/// `profile` on the caller's connection (inside its transaction, if any).
pub(super) fn profile_in(conn: &dyn Sql, user_id: i64) -> Result<Profile, AppError> {
    let user =
        users::by_id(conn, user_id)?.ok_or_else(|| AppError::NotFound("The account no longer exists.".into()))?;
    let organizations = orgs::memberships(conn, user.id)?
        .into_iter()
        .map(|m| Membership { organization: m.org_name, role: m.role })
        .collect();
    Ok(Profile {
        username: user.username,
        email: user.email,
        email_confirmed: user.email_confirmed,
        is_admin: user.is_admin,
        organizations,
    })
}

/// A user (not an organization) by name.
pub fn find_user(state: &AppState, username: &str) -> Result<users::UserRow, AppError> {
    find_user_in(&state.conn()?, username)
}

/// `find_user` on the caller's connection (inside its transaction, if any).
pub(crate) fn find_user_in(conn: &dyn Sql, username: &str) -> Result<users::UserRow, AppError> {
    users::by_name(conn, username)?
        .filter(|u| !u.is_organization)
        .ok_or_else(|| AppError::NotFound(format!("There is no user named '{username}'.")))
}

/// Any account, user or organization, by name, on the caller's connection (inside its
/// transaction, if any).
pub(crate) fn find_account(conn: &dyn Sql, name: &str) -> Result<users::UserRow, AppError> {
    users::by_name(conn, name)?.ok_or_else(|| AppError::NotFound(format!("There is no account named '{name}'.")))
}

/// Grants or removes the admin role (`by` names the operator or administrator in the audit log).
pub fn set_admin(state: &AppState, username: &str, admin: bool, by: &str) -> Result<(), AppError> {
    in_transaction(state, |tx| set_admin_in(tx, username, admin, by))
}

/// Disables (signing the account out everywhere) or enables an account.
pub fn set_disabled(state: &AppState, username: &str, disabled: bool, by: &str) -> Result<(), AppError> {
    in_transaction(state, |tx| set_disabled_in(tx, username, disabled, by))
}

/// Runs inside the caller's transaction.
fn set_admin_in(conn: &dyn Sql, username: &str, admin: bool, by: &str) -> Result<(), AppError> {
    let user = find_user_in(conn, username)?;
    users::set_admin(conn, user.id, admin)?;
    let actor = Principal { username: by.to_owned(), ..Principal::default() };
    audit::record(conn, &actor, None, if admin { "admin.grant" } else { "admin.revoke" }, None, Some(&user.username))?;
    Ok(())
}

/// Runs inside the caller's transaction.
fn set_disabled_in(conn: &dyn Sql, username: &str, disabled: bool, by: &str) -> Result<(), AppError> {
    let user = find_user_in(conn, username)?;
    users::set_disabled(conn, user.id, disabled)?;
    if disabled {
        // A disabled account is signed out everywhere at once.
        sessions::delete_for_user(conn, user.id, None)?;
    }
    let actor = Principal { username: by.to_owned(), ..Principal::default() };
    audit::record(
        conn,
        &actor,
        None,
        if disabled { "user.disable" } else { "user.enable" },
        None,
        Some(&user.username),
    )?;
    Ok(())
}

/// Every account (the operator's `galley user list`).
pub fn list(state: &AppState) -> Result<Vec<users::UserRow>, AppError> {
    Ok(users::list(&state.conn()?)?)
}

#[derive(Debug, Clone, Serialize)]
pub struct UserSummary {
    pub username: String,
    pub email: String,
    pub email_confirmed: bool,
    pub is_admin: bool,
    pub is_disabled: bool,
    pub is_organization: bool,
    pub created_at: String,
}

fn require_admin(p: &Principal) -> Result<(), AppError> {
    if p.is_admin && p.key.is_none() {
        Ok(())
    } else {
        Err(AppError::Forbidden("Only administrators manage accounts.".into()))
    }
}

/// Every account, for administrators.
pub fn list_for_admin(state: &AppState, p: &Principal) -> Result<Vec<UserSummary>, AppError> {
    list_for_admin_in(&state.conn()?, p)
}

/// `list_for_admin` on the caller's connection (inside its transaction, if any).
pub(crate) fn list_for_admin_in(conn: &dyn Sql, p: &Principal) -> Result<Vec<UserSummary>, AppError> {
    require_admin(p)?;
    Ok(users::list(conn)?
        .into_iter()
        .map(|u| UserSummary {
            username: u.username,
            email: u.email,
            email_confirmed: u.email_confirmed,
            is_admin: u.is_admin,
            is_disabled: u.is_disabled,
            is_organization: u.is_organization,
            created_at: u.created_at,
        })
        .collect())
}

/// An administrator creates an account (the way in when registration is closed); the
/// administrator vouches for the address, so it counts as confirmed.
pub fn create_by_admin(
    state: &AppState,
    p: &Principal,
    account: &NewAccount<'_>,
    ip: Option<&str>,
) -> Result<Profile, AppError> {
    require_admin(p)?;
    let hash = checked_hash(account, state.config.accounts.bcrypt_cost)?;
    in_transaction(state, |tx| {
        let id = insert_account(tx, account, &hash, false)?;
        users::set_email_confirmed(tx, id)?;
        audit::record(tx, p, ip, "user.create", None, Some(account.username))?;
        profile_in(tx, id)
    })
}

/// An administrator grants or removes the admin role, or disables or enables an account.
pub fn update_by_admin(
    state: &AppState,
    p: &Principal,
    username: &str,
    is_admin: Option<bool>,
    is_disabled: Option<bool>,
) -> Result<(), AppError> {
    require_admin(p)?;
    in_transaction(state, |tx| {
        if p.account_id.is_some_and(|me| find_user_in(tx, username).is_ok_and(|u| u.id == me))
            && (is_admin == Some(false) || is_disabled == Some(true))
        {
            return Err(AppError::Conflict(
                "Administrators cannot remove their own role or disable themselves; ask another administrator.".into(),
            ));
        }
        if let Some(admin) = is_admin {
            set_admin_in(tx, username, admin, &p.username)?;
        }
        if let Some(disabled) = is_disabled {
            set_disabled_in(tx, username, disabled, &p.username)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::dummy_hash;

    #[test]
    fn the_dummy_hash_is_a_real_bcrypt_hash_at_the_configured_cost() {
        let hash = dummy_hash(4);
        assert!(hash.starts_with("$2b$04$"), "{hash}");
        assert!(!bcrypt::verify("anything", hash).unwrap());
        // Computed once: the same string every time.
        assert!(std::ptr::eq(hash, dummy_hash(4)));
    }
}

//! Password sign-in when `[ldap]` is configured (docs/sign-in.md, "LDAP / Active Directory").
//!
//! The order: a name (or address) that belongs to a local account (one without a directory
//! link) is checked against its local password, exactly as without a directory; every other
//! name is asked of the directory, which then decides alone (a directory-managed account has no
//! local password). A directory user whose name is held by a local account is refused, never
//! merged into it: an administrator renames or removes the local account first.
use super::permissions::Principal;
use super::{accounts, audit, directory_groups};
use crate::config::LdapConfig;
use crate::db::sql::Sql;
use crate::db::{self, users};
use crate::directory::{Directory, DirectoryUser};
use crate::domain::password;
use crate::error::AppError;
use crate::state::AppState;

pub const UNREACHABLE: &str = "The directory cannot be reached; try again later.";
pub const NOT_ALLOWED: &str = "Your directory account is not allowed to sign in to this server; ask an administrator.";
pub const LOCAL_NAME_TAKEN: &str =
    "A local account already has your directory username; ask an administrator to rename or remove it.";
pub const NO_EMAIL: &str = "Your directory entry has no email address; ask an administrator.";
pub const EMAIL_TAKEN: &str =
    "Another account already uses the email address of your directory entry; ask an administrator.";

/// The sign-in check: `Some(account)` when the password is right and the account may sign in,
/// `None` for a wrong name or password or a disabled account (the caller gives the one message
/// for those), an error for a directory user who is refused for a reason worth telling. Runs on
/// the caller's connection (and opens its own transaction on it for a directory account).
pub(super) fn verify_password_in(
    state: &AppState,
    conn: &mut db::Connection,
    name: &str,
    password: &str,
    ip: Option<&str>,
) -> Result<Option<users::UserRow>, AppError> {
    let cost = state.config.accounts.bcrypt_cost;
    let Some(ldap) = &state.config.ldap else {
        return accounts::verify_password_in(conn, name, password, cost);
    };
    let name = name.trim();
    if let Some(local) = users::by_name_or_email(conn, name)? {
        if db::directory::dn_of(conn, local.id)?.is_none() {
            return accounts::verify_password_in(conn, name, password, cost);
        }
    }
    let mut directory = connect(ldap)?;
    let checked = match directory.find(name) {
        Ok(Some(entry)) => directory.check_password(&entry.dn, password).map(|ok| ok.then_some(entry)),
        Ok(None) => Ok(None),
        Err(e) => Err(e),
    };
    directory.close();
    let Some(entry) = checked.map_err(|e| unreachable(&e))? else { return Ok(None) };
    if !allowed(ldap, &entry) {
        refuse(conn, &entry.username, ip, "not a member of allowed_group")?;
        return Err(AppError::Forbidden(NOT_ALLOWED.into()));
    }
    conn.transaction(|tx| {
        let user = account_for(tx, &entry, ip)?;
        if user.is_disabled {
            return Ok(None);
        }
        Ok(Some(refresh_account_in(tx, state, user, &entry)?))
    })
}

pub fn connect(ldap: &LdapConfig) -> Result<Directory<'_>, AppError> {
    Directory::connect(ldap).map_err(|e| unreachable(&e))
}

fn unreachable(e: &crate::directory::DirectoryError) -> AppError {
    tracing::error!(error = %e, "directory sign-in failed");
    AppError::unavailable(UNREACHABLE)
}

/// Whether `allowed_group` (when set) lists the user.
pub fn allowed(ldap: &LdapConfig, entry: &DirectoryUser) -> bool {
    let group = ldap.allowed_group.trim();
    group.is_empty() || entry.groups.iter().any(|g| directory_groups::same_group(g, group))
}

fn refuse(conn: &dyn Sql, username: &str, ip: Option<&str>, why: &str) -> Result<(), AppError> {
    let actor = Principal { username: username.chars().take(64).collect(), ..Principal::default() };
    audit::record(conn, &actor, ip, "signin.refused", None, Some(why))
}

/// The directory-managed account of the entry, created on first sign-in.
fn account_for(conn: &dyn Sql, entry: &DirectoryUser, ip: Option<&str>) -> Result<users::UserRow, AppError> {
    if let Some(existing) = users::by_name(conn, &entry.username)? {
        if existing.is_organization || db::directory::dn_of(conn, existing.id)?.is_none() {
            refuse(conn, &entry.username, ip, "the name belongs to a local account")?;
            return Err(AppError::Conflict(LOCAL_NAME_TAKEN.into()));
        }
        return Ok(existing);
    }
    password::check_username(&entry.username).map_err(AppError::bad_input)?;
    let Some(email) = entry.email.as_deref() else {
        refuse(conn, &entry.username, ip, "no email address in the directory entry")?;
        return Err(AppError::Forbidden(NO_EMAIL.into()));
    };
    let new = users::NewUser {
        username: &entry.username,
        email,
        password_hash: None,
        is_admin: false,
        is_organization: false,
        self_registered: false,
    };
    let id = match conn.in_savepoint(|tx| users::insert(tx, &new)) {
        Ok(id) => id,
        Err(e) if e.is_unique_violation() => {
            refuse(conn, &entry.username, ip, "the email address belongs to another account")?;
            return Err(AppError::Conflict(EMAIL_TAKEN.into()));
        }
        Err(e) => return Err(e.into()),
    };
    // The directory vouches for the address, as an administrator does for accounts they create.
    users::set_email_confirmed(conn, id)?;
    db::directory::link(conn, id, &entry.dn)?;
    let actor = Principal { account_id: Some(id), username: entry.username.clone(), ..Principal::default() };
    audit::record(conn, &actor, ip, "account.directory.create", None, Some(&entry.dn))?;
    users::by_id(conn, id)?.ok_or_else(|| AppError::internal(anyhow::anyhow!("the new account vanished")))
}

/// Brings a directory-managed account in line with its entry: the DN, the email address, the
/// admin flag (`admin_group`) and the mapped organization memberships. Used at sign-in and by
/// the `ldap-sync` job; returns the account as it now is. Runs inside the caller's transaction.
pub(super) fn refresh_account_in(
    conn: &dyn Sql,
    state: &AppState,
    user: users::UserRow,
    entry: &DirectoryUser,
) -> Result<users::UserRow, AppError> {
    let Some(ldap) = &state.config.ldap else { return Ok(user) };
    db::directory::link(conn, user.id, &entry.dn)?;
    if let Some(email) = entry.email.as_deref().filter(|e| !e.eq_ignore_ascii_case(&user.email)) {
        match conn.in_savepoint(|tx| users::set_confirmed_email(tx, user.id, email)) {
            Err(e) if e.is_unique_violation() => {
                tracing::warn!(user = %user.username, "the directory's email address belongs to another account; kept the old one");
            }
            other => other?,
        }
    }
    let admin_group = ldap.admin_group.trim();
    if !admin_group.is_empty() {
        let admin = entry.groups.iter().any(|g| directory_groups::same_group(g, admin_group));
        if admin != user.is_admin {
            users::set_admin(conn, user.id, admin)?;
            let actor = Principal { username: "ldap".into(), ..Principal::default() };
            let action = if admin { "admin.grant" } else { "admin.revoke" };
            audit::record(conn, &actor, None, action, None, Some(&user.username))?;
        }
    }
    directory_groups::apply_group_memberships(conn, &state.config.group_mapping, &user, &entry.groups, "ldap")?;
    users::by_id(conn, user.id)?.ok_or_else(|| AppError::NotFound("The account no longer exists.".into()))
}

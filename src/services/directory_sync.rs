//! The `ldap-sync` job: every enabled directory-managed account is looked up again. A user the
//! directory no longer finds with `user_filter` (deleted, or disabled where the filter excludes
//! disabled entries) or who left `allowed_group` loses access at once: the account is disabled,
//! its sessions end and its API keys are revoked, all audited. The others get their admin flag
//! and mapped memberships brought up to date, as at sign-in. When the directory cannot be asked,
//! the run fails and changes nothing: an outage must not lock everyone out.
use super::permissions::Principal;
use super::{audit, directory_signin};
use crate::db::sql::Sql;
use crate::db::{self, api_keys, sessions, users};
use crate::error::AppError;
use crate::state::AppState;
use std::fmt;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub configured: bool,
    pub checked: usize,
    /// Usernames of the accounts disabled by this run.
    pub disabled: Vec<String>,
    pub revoked_keys: usize,
}

impl SyncReport {
    pub fn did_something(&self) -> bool {
        !self.disabled.is_empty()
    }
}

impl fmt::Display for SyncReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.configured {
            return f.write_str("no [ldap] section; nothing to do");
        }
        write!(f, "{} directory accounts checked, {} disabled", self.checked, self.disabled.len())?;
        if !self.disabled.is_empty() {
            write!(f, " ({}), {} API keys revoked", self.disabled.join(", "), self.revoked_keys)?;
        }
        Ok(())
    }
}

pub fn run(state: &AppState) -> Result<SyncReport, AppError> {
    let Some(ldap) = &state.config.ldap else { return Ok(SyncReport::default()) };
    let mut report = SyncReport { configured: true, ..SyncReport::default() };
    let mut conn = state.conn()?;
    let mut directory = directory_signin::connect(ldap)?;
    for (id, username) in db::directory::enabled_accounts(&conn)? {
        let found = directory.find(&username).map_err(|e| {
            tracing::error!(error = %e, "ldap-sync stopped: the directory did not answer");
            AppError::unavailable(directory_signin::UNREACHABLE)
        })?;
        report.checked += 1;
        let Some(user) = users::by_id(&conn, id)? else { continue };
        conn.transaction(|tx| match found {
            Some(entry) if directory_signin::allowed(ldap, &entry) => {
                directory_signin::refresh_account_in(tx, state, user, &entry).map(drop)
            }
            found => {
                let why = if found.is_some() { "not a member of allowed_group" } else { "not found in the directory" };
                report.revoked_keys += disable(tx, &user, why)?;
                report.disabled.push(user.username);
                Ok::<(), AppError>(())
            }
        })?;
    }
    directory.close();
    Ok(report)
}

/// Disables the account, ends its sessions and revokes its API keys; returns how many keys.
fn disable(conn: &dyn Sql, user: &users::UserRow, why: &str) -> Result<usize, AppError> {
    users::set_disabled(conn, user.id, true)?;
    sessions::delete_for_user(conn, user.id, None)?;
    let mut revoked = 0;
    for key in api_keys::for_user(conn, user.id)?.into_iter().filter(|k| k.revoked_at.is_none()) {
        if api_keys::revoke_by_id(conn, key.id)? {
            revoked += 1;
        }
    }
    let actor = Principal { username: "ldap-sync".into(), ..Principal::default() };
    let detail = format!("{}: {why}; {revoked} API keys revoked", user.username);
    audit::record(conn, &actor, None, "user.disable", None, Some(&detail))?;
    tracing::info!(user = %user.username, reason = why, revoked_keys = revoked, "ldap-sync disabled an account");
    Ok(revoked)
}

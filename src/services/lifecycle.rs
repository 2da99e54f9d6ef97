//! Unlist, relist and delete: what nuget.org's DELETE and POST on the publish resource do.
use super::audit;
use super::permissions::{authorize, PackageAction, Principal};
use crate::config::DeleteMode;
use crate::db::{self, packages};
use crate::domain::id::PackageId;
use crate::domain::version::NuGetVersion;
use crate::domain::version_status::VersionStatus;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Unlist,
    Relist,
    /// Admin hard delete (only with `[publish] delete_mode = "hard"`).
    Delete,
}

impl Change {
    fn action(self) -> &'static str {
        match self {
            Change::Unlist => "package.unlist",
            Change::Relist => "package.relist",
            Change::Delete => "package.delete",
        }
    }
}

/// What DELETE means under the server's setting: hard delete for admins when configured.
pub fn delete_change(state: &AppState, principal: &Principal) -> Change {
    if state.config.publish.delete_mode == DeleteMode::Hard && principal.is_admin {
        Change::Delete
    } else {
        Change::Unlist
    }
}

/// Applies the change to id+version. Blocking: call from a blocking thread.
pub fn apply(
    state: &AppState,
    principal: &Principal,
    id: &str,
    version: &str,
    change: Change,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let not_found = || AppError::NotFound(format!("The package '{id}' version '{version}' does not exist."));
    let version = NuGetVersion::parse(version).map_err(|_| not_found())?;
    let id_lower = PackageId::key_of(id);
    let version_lower = version.lower_normalized();
    let mut conn = state.conn()?;
    let result = conn.write_durable(|tx| {
        let Some(package) = packages::find(tx, &id_lower)? else {
            return Ok(Err(not_found()));
        };
        if matches!(packages::version_status(tx, &id_lower, &version_lower)?, None | Some(VersionStatus::Deleted)) {
            return Ok(Err(not_found()));
        }
        let owners = packages::owner_ids(tx, package.key)?;
        if let Err(denied) = authorize(principal, PackageAction::Unlist, &package.package_id, Some(&owners)) {
            return Ok(Err(denied));
        }
        match change {
            Change::Unlist => packages::set_listed(tx, package.key, &version_lower, false)?,
            Change::Relist => packages::set_listed(tx, package.key, &version_lower, true)?,
            Change::Delete => packages::set_status(
                tx,
                package.key,
                &version_lower,
                VersionStatus::Deleted,
                Some("deleted by an administrator"),
            )?,
        };
        packages::record_change(tx, package.key)?;
        db::audit::record(
            tx,
            &db::audit::AuditEntry {
                package_id: Some(&package.package_id),
                version: Some(&version.normalized()),
                detail: None,
                ..audit::by(principal, ip, change.action())
            },
        )?;
        Ok(Ok(()))
    })?;
    result?;
    if change == Change::Delete {
        state.store.delete(&id_lower, &version_lower)?;
        // A version still waiting for its scan is held outside the store.
        state.pending.remove(&id_lower, &version_lower)?;
        // The symbols were in the version's folder; the server must not name them any more.
        super::symbols::forget(state, &conn, &id_lower, &version_lower)?;
    }
    state.docs.refresh(&conn, &id_lower)?;
    Ok(())
}

//! Owners deprecate versions (nuget.org's reasons, message, alternate package) or withdraw a
//! deprecation; the registration leaves of every hive carry it as soon as the call returns.
use super::audit;
use super::permissions::{authorize, PackageAction, Principal};
use crate::db::{self, notices, packages};
use crate::domain::deprecation::Deprecation;
use crate::domain::id::PackageId;
use crate::domain::version::NuGetVersion;
use crate::error::AppError;
use crate::state::AppState;

/// Sets the version's deprecation (`Some`) or withdraws it (`None`). Blocking.
pub fn apply(
    state: &AppState,
    principal: &Principal,
    id: &str,
    version: &str,
    deprecation: Option<&Deprecation>,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let not_found = || AppError::NotFound(format!("The package '{id}' version '{version}' does not exist."));
    let parsed = NuGetVersion::parse(version).map_err(|_| not_found())?;
    let id_lower = PackageId::key_of(id);
    let version_lower = parsed.lower_normalized();
    let mut conn = state.conn()?;
    let result = conn.write_durable(|tx| {
        let Some(package) = packages::find(tx, &id_lower)? else {
            return Ok(Err(not_found()));
        };
        let Some(version_key) = notices::version_key(tx, package.key, &version_lower)? else {
            return Ok(Err(not_found()));
        };
        let owners = packages::owner_ids(tx, package.key)?;
        if let Err(denied) = authorize(principal, PackageAction::Deprecate, &package.package_id, Some(&owners)) {
            return Ok(Err(denied));
        }
        let (action, detail) = if let Some(d) = deprecation {
            notices::set_deprecation(tx, version_key, d, principal.account_id)?;
            ("package.deprecate", Some(describe(d)))
        } else {
            if !notices::clear_deprecation(tx, version_key)? {
                return Ok(Err(AppError::NotFound(format!(
                    "The package '{}' version '{}' is not deprecated.",
                    package.package_id,
                    parsed.normalized()
                ))));
            }
            ("package.undeprecate", None)
        };
        packages::record_change(tx, package.key)?;
        db::audit::record(
            tx,
            &db::audit::AuditEntry {
                package_id: Some(&package.package_id),
                version: Some(&parsed.normalized()),
                detail: detail.as_deref(),
                ..audit::by(principal, ip, action)
            },
        )?;
        Ok(Ok(()))
    })?;
    result?;
    // Clients read deprecations from the rendered registration documents: render them now.
    state.docs.refresh(&conn, &id_lower)?;
    Ok(())
}

/// The audit log's one-line summary.
fn describe(d: &Deprecation) -> String {
    match &d.alternate {
        Some(a) => format!("{}; alternate {} {}", d.reasons_text(), a.id.as_str(), a.range_text()),
        None => d.reasons_text(),
    }
}

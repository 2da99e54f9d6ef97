//! Security advisories recorded by administrators (CLI and admin API): stored by package id and
//! version range, served in the `VulnerabilityInfo` pages and on the matching registration leaves.
use super::permissions::Principal;
use crate::db::sql::Sql;
use crate::db::{self, notices, packages};
use crate::domain::advisory::NewAdvisory;
use crate::domain::id::PackageId;
use crate::domain::records::AdvisoryRecord;
use crate::error::AppError;
use crate::state::AppState;
use serde::Serialize;
use std::collections::BTreeMap;

fn admin_only(p: &Principal) -> Result<(), AppError> {
    if p.is_admin && p.key.is_none() {
        Ok(())
    } else {
        Err(AppError::Forbidden("Only administrators may record or remove advisories.".into()))
    }
}

/// Records an advisory and re-renders the id's documents. Blocking.
pub fn add(state: &AppState, p: &Principal, advisory: &NewAdvisory, ip: Option<&str>) -> Result<i64, AppError> {
    admin_only(p)?;
    let id_lower = advisory.package_id.lower();
    let mut conn = state.conn()?;
    let id = conn
        .write_durable(|tx| {
            let id = match notices::insert_advisory(tx, advisory) {
                Err(e) if e.is_unique_violation() => return Ok(None),
                other => other?,
            };
            touch_package(tx, &id_lower)?;
            audit(tx, p, ip, "advisory.add", advisory.package_id.as_str(), &describe(advisory))?;
            Ok(Some(id))
        })?
        .ok_or_else(|| {
            AppError::Conflict(format!(
                "An advisory for '{}' {} with that URL is already recorded.",
                advisory.package_id.as_str(),
                advisory.range.to_normalized_string()
            ))
        })?;
    state.docs.refresh(&conn, &id_lower)?;
    Ok(id)
}

/// Removes an advisory by its number. Blocking.
pub fn remove(state: &AppState, p: &Principal, advisory_id: i64, ip: Option<&str>) -> Result<AdvisoryRecord, AppError> {
    admin_only(p)?;
    let mut conn = state.conn()?;
    let removed = conn
        .write_durable(|tx| {
            let Some(row) = notices::delete_advisory(tx, advisory_id)? else {
                return Ok(None);
            };
            touch_package(tx, &PackageId::key_of(row.package_id.as_str()))?;
            let detail = format!("{} {} {}", row.version_range, row.severity, row.url);
            audit(tx, p, ip, "advisory.remove", &row.package_id, &detail)?;
            Ok(Some(row))
        })?
        .ok_or_else(|| AppError::NotFound(format!("There is no advisory {advisory_id}.")))?;
    state.docs.refresh(&conn, &PackageId::key_of(removed.package_id.as_str()))?;
    Ok(removed)
}

pub fn list(state: &AppState) -> Result<Vec<AdvisoryRecord>, AppError> {
    Ok(notices::all_advisories(&state.conn()?)?)
}

/// A page of nuget.org's vulnerability files: lower-case id → its advisories.
pub type VulnerabilityPage = BTreeMap<String, Vec<VulnerabilityEntry>>;

#[derive(Debug, Serialize)]
pub struct VulnerabilityEntry {
    pub severity: i64,
    pub url: String,
    pub versions: String,
}

/// Every advisory in the shape of a `VulnerabilityInfo` page, and when they last changed.
pub fn page(state: &AppState) -> Result<(VulnerabilityPage, String), AppError> {
    let conn = &state.conn()?;
    let mut page = VulnerabilityPage::new();
    for a in notices::all_advisories(conn)? {
        page.entry(PackageId::key_of(a.package_id.as_str())).or_default().push(VulnerabilityEntry {
            severity: a.severity,
            url: a.url,
            versions: a.version_range,
        });
    }
    Ok((page, notices::advisories_updated(conn)?))
}

/// The id's registration leaves change with its advisories (when it exists here).
fn touch_package(tx: &dyn Sql, id_lower: &str) -> Result<(), db::DbError> {
    if let Some(package) = packages::find(tx, id_lower)? {
        packages::record_change(tx, package.key)?;
    }
    Ok(())
}

fn audit(
    tx: &dyn Sql,
    p: &Principal,
    ip: Option<&str>,
    action: &str,
    package_id: &str,
    detail: &str,
) -> Result<(), db::DbError> {
    db::audit::record(
        tx,
        &db::audit::AuditEntry {
            package_id: Some(package_id),
            detail: Some(detail),
            ..super::audit::by(p, ip, action)
        },
    )
}

fn describe(a: &NewAdvisory) -> String {
    format!("{} {} {}", a.range.to_normalized_string(), a.severity.name(), a.url)
}

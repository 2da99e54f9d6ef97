//! The audit log: recording (one helper for every service) and reading it (admins see all,
//! owners see their packages').
use super::permissions::{authorize, PackageAction, Principal};
use crate::db::sql::Sql;
use crate::db::{self, audit::AuditFilter, packages};
use crate::domain::id::PackageId;
use crate::error::AppError;
use crate::state::AppState;
use serde::Serialize;

/// The audit entry of what `p` did, for a caller that adds the package, version or detail (and
/// records it inside its own transaction).
pub fn by<'a>(p: &'a Principal, ip: Option<&'a str>, action: &'a str) -> db::audit::AuditEntry<'a> {
    db::audit::AuditEntry {
        actor_id: p.account_id,
        actor_name: Some(&p.username),
        ip,
        action,
        package_id: None,
        version: None,
        detail: None,
    }
}

/// Records what `p` did, on the caller's connection or inside its transaction (every service
/// that changes something calls this). `package` and `detail` are optional context.
pub(crate) fn record(
    conn: &dyn Sql,
    p: &Principal,
    ip: Option<&str>,
    action: &str,
    package: Option<&str>,
    detail: Option<&str>,
) -> Result<(), AppError> {
    db::audit::record(conn, &db::audit::AuditEntry { package_id: package, detail, ..by(p, ip, action) })?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntryView {
    pub id: i64,
    pub at: String,
    pub actor: Option<String>,
    pub ip: Option<String>,
    pub action: String,
    pub package_id: Option<String>,
    pub version: Option<String>,
    pub detail: Option<String>,
}

impl From<db::audit::AuditRow> for AuditEntryView {
    fn from(r: db::audit::AuditRow) -> Self {
        Self {
            id: r.id,
            at: r.at,
            actor: r.actor_name,
            ip: r.ip,
            action: r.action,
            package_id: r.package_id,
            version: r.version,
            detail: r.detail,
        }
    }
}

/// The whole log, filtered: administrators only.
pub fn search(state: &AppState, p: &Principal, filter: &AuditFilter<'_>) -> Result<Vec<AuditEntryView>, AppError> {
    if !p.is_admin || p.key.is_some() {
        return Err(AppError::Forbidden(
            "Only administrators may read the whole audit log; owners read their packages' logs.".into(),
        ));
    }
    let filter = AuditFilter { limit: filter.limit.clamp(1, 500), ..*filter };
    Ok(db::audit::list(&state.conn()?, &filter)?.into_iter().map(Into::into).collect())
}

/// One package's log: its owners (and members of owning organizations) and administrators.
pub fn for_package(state: &AppState, p: &Principal, package_id: &str) -> Result<Vec<AuditEntryView>, AppError> {
    let conn = state.conn()?;
    let id_lower = PackageId::key_of(package_id);
    let package = packages::find(&conn, &id_lower)?
        .ok_or_else(|| AppError::NotFound(format!("The package '{package_id}' does not exist.")))?;
    let owners = packages::owner_ids(&conn, package.key)?;
    authorize(p, PackageAction::ReadAudit, &package.package_id, Some(&owners))?;
    Ok(db::audit::for_package(&conn, &id_lower)?.into_iter().map(Into::into).collect())
}

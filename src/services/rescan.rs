//! Rescans of published versions with the current scanner and signatures. A detection
//! quarantines the version: hidden from every feed, search and download in the same code path
//! (status + search index in one transaction, then the rendered documents), its bytes moved out of
//! the store, and its owners and the administrators told.
use super::validation::recipients;
use crate::db::validation::{self as vdb, ScanTarget};
use crate::db::{self, audit::AuditEntry};
use crate::domain::id::PackageId;
use crate::domain::version_status::VersionStatus;
use crate::error::AppError;
use crate::scan::notify::NoticePackage;
use crate::scan::ScanOutcome;
use crate::state::AppState;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RescanReport {
    pub scanned: usize,
    /// `Id Version: signature` of each version quarantined by this run.
    pub quarantined: Vec<String>,
    /// Versions the scanner could not scan; they stay available and are tried at the next run.
    pub errors: usize,
}

impl std::fmt::Display for RescanReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} scanned, {} quarantined, {} scan errors", self.scanned, self.quarantined.len(), self.errors)?;
        if !self.quarantined.is_empty() {
            write!(f, " ({})", self.quarantined.join("; "))?;
        }
        Ok(())
    }
}

/// The rescan job: every available version, or those of one id.
pub fn rescan(state: &AppState, id: Option<&str>) -> Result<RescanReport, AppError> {
    let id_lower = id.map(PackageId::key_of);
    let targets = vdb::available(&state.conn()?, id_lower.as_deref())?;
    if let (Some(id), true) = (id, targets.is_empty()) {
        return Err(AppError::NotFound(format!("The package '{id}' has no available version to rescan.")));
    }
    let mut report = RescanReport::default();
    for target in &targets {
        report.scanned += 1;
        let path = crate::store::local(&*state.store, state.store.nupkg_path(&target.id_lower, &target.version_lower))?;
        match state.scanner.scan(&path) {
            ScanOutcome::Clean => vdb::record_clean_scan(&state.conn()?, target.version_key)?,
            ScanOutcome::Infected { signature } => {
                if quarantine(state, target, &signature)? {
                    report.quarantined.push(format!("{} {}: {signature}", target.package_id, target.version));
                }
            }
            ScanOutcome::Error(message) => {
                tracing::warn!(id = %target.package_id, version = %target.version, error = %message, "rescan failed");
                report.errors += 1;
            }
        }
    }
    Ok(report)
}

/// Quarantines an available version; false when it was no longer available.
pub fn quarantine(state: &AppState, target: &ScanTarget, signature: &str) -> Result<bool, AppError> {
    let reason = format!("virus found: {signature}");
    let mut conn = state.conn()?;
    let changed = conn.write(|tx| {
        if !vdb::change_status(tx, target.version_key, VersionStatus::Available, VersionStatus::Quarantined, &reason)? {
            return Ok(false);
        }
        db::packages::record_change(tx, target.package_key)?;
        db::audit::record(
            tx,
            &AuditEntry {
                actor_name: Some("scanner"),
                action: "package.quarantine",
                package_id: Some(&target.package_id),
                version: Some(&target.version),
                detail: Some(&reason),
                ..AuditEntry::default()
            },
        )?;
        Ok(true)
    })?;
    if !changed {
        return Ok(false);
    }
    // Stop serving first, then move the bytes away.
    state.docs.refresh(&conn, &target.id_lower)?;
    let (id, ver) = (&target.id_lower, &target.version_lower);
    super::validation::keep_or_drop_infected(
        state,
        id,
        ver,
        &crate::store::local(&*state.store, state.store.nupkg_path(id, ver))?,
    )?;
    state.store.delete(id, ver)?;
    tracing::warn!(id = %target.package_id, version = %target.version, signature, "package quarantined");

    let mut to = vdb::owner_recipients(&conn, target.package_key)?;
    to.extend(vdb::admin_recipients(&conn)?);
    let notice = NoticePackage { id: &target.package_id, version: &target.version, signature };
    if let Err(e) = state.notifier.quarantined(&recipients(to), &notice) {
        tracing::error!(error = %e, id = %target.package_id, "writing the quarantine notice failed");
    }
    Ok(true)
}

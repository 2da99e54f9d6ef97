//! Validation of versions waiting in `validating`: scan the held upload, then publish it, fail it,
//! or schedule another try with backoff. Used by the async push, the retry-validating job and a
//! sync push whose scanner was unavailable. Also the refusal of an infected sync upload.
//!
//! Every state change goes through here with its side effects together: status, search index and
//! audit in one transaction, then the rendered feed documents, the bytes, and the notice.
use super::audit;
use super::package_file;
use super::permissions::Principal;
use crate::db::sql::Sql;
use crate::db::validation::{self as vdb, ScanTarget};
use crate::db::{self, audit::AuditEntry};
use crate::domain::version_status::VersionStatus;
use crate::error::AppError;
use crate::scan::notify::{NoticePackage, Recipient};
use crate::scan::ScanOutcome;
use crate::state::AppState;
use crate::store::PutOutcome;
use chrono::{DateTime, Utc};
use std::path::Path;

/// What happened to one validating version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Published,
    Failed {
        signature: String,
    },
    /// The scan could not be completed; the version stays `validating` until `next`.
    Retry {
        message: String,
        next: DateTime<Utc>,
    },
    /// Another scan holds it, or it is no longer validating.
    Skipped,
}

/// The refusal a sync push answers with (400).
pub fn failed_message(signature: &str) -> String {
    format!("The package failed validation: virus found: {signature}.")
}

/// The reason stored on a failed or quarantined version.
fn found_reason(signature: &str) -> String {
    format!("virus found: {signature}")
}

/// Delay before scan attempt `attempts + 1`: the base, doubling, capped.
pub fn backoff(state: &AppState, attempts: u32) -> chrono::Duration {
    let scan = &state.config.scan;
    let factor = 1u64 << attempts.saturating_sub(1).min(30);
    let seconds = scan.retry_base_seconds.saturating_mul(factor).min(scan.retry_max_seconds);
    chrono::Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX))
}

/// Scans a validating version now if it is due at `now`, and applies the outcome.
pub fn validate_pending(state: &AppState, target: &ScanTarget, now: DateTime<Utc>) -> Result<Verdict, AppError> {
    let lease = now + chrono::Duration::seconds(i64::try_from(state.config.scan.timeout_seconds).unwrap_or(3600) + 60);
    if !vdb::claim(&state.conn()?, target.version_key, now, lease)? {
        return Ok(Verdict::Skipped);
    }
    let path = state.pending.path(&target.id_lower, &target.version_lower);
    let outcome = if path.is_file() {
        state.scanner.scan(&path)
    } else {
        ScanOutcome::Error(format!("the uploaded file {} is missing", path.display()))
    };
    match outcome {
        ScanOutcome::Clean => promote(state, target, &path),
        ScanOutcome::Infected { signature } => fail(state, target, &path, &signature),
        ScanOutcome::Error(message) => {
            let attempts = target.scan_attempts + 1;
            let next = now + backoff(state, attempts);
            tracing::warn!(id = %target.package_id, version = %target.version, attempts, next = %next, error = %message,
                "scan failed; the package stays validating");
            vdb::schedule_retry(
                &state.conn()?,
                target.version_key,
                attempts,
                next,
                &format!("scan failed: {message}"),
            )?;
            Ok(Verdict::Retry { message, next })
        }
    }
}

/// Moves a clean upload into the package store and makes it available.
fn promote(state: &AppState, target: &ScanTarget, held: &Path) -> Result<Verdict, AppError> {
    let (id, ver) = (&target.id_lower, &target.version_lower);
    let (archive, _, _) = package_file::inspect(state, held)?;
    let created = match state.store.put(id, ver, held, &archive.nuspec_bytes)? {
        PutOutcome::DifferentBytesExist => {
            return Err(AppError::internal(anyhow::anyhow!("{id} {ver}: other bytes are already in the package store")))
        }
        PutOutcome::SameBytesExisted => false,
        PutOutcome::Created => true,
    };
    package_file::store_extras(state, &archive, id, ver)?;
    let mut conn = state.conn()?;
    let published = conn.write(|tx| {
        if !vdb::mark_available(tx, target.version_key)? {
            return Ok(false);
        }
        db::packages::record_change(tx, target.package_key)?;
        audit(tx, target, "package.validated", "scan clean")?;
        Ok(true)
    })?;
    if !published {
        // Deleted or changed while it was being scanned: nothing to publish.
        if created {
            state.store.delete(id, ver)?;
        }
        return Ok(Verdict::Skipped);
    }
    state.docs.refresh(&conn, id)?;
    state.pending.remove(id, ver)?;
    tracing::info!(id = %target.package_id, version = %target.version, "package validated and published");
    Ok(Verdict::Published)
}

/// A held upload was found infected: `failed`, bytes kept or deleted, publisher told.
fn fail(state: &AppState, target: &ScanTarget, held: &Path, signature: &str) -> Result<Verdict, AppError> {
    let mut conn = state.conn()?;
    let changed = conn.write(|tx| {
        if !vdb::change_status(
            tx,
            target.version_key,
            VersionStatus::Validating,
            VersionStatus::Failed,
            &found_reason(signature),
        )? {
            return Ok(false);
        }
        db::packages::record_change(tx, target.package_key)?;
        audit(tx, target, "package.validation_failed", &found_reason(signature))?;
        Ok(true)
    })?;
    if !changed {
        return Ok(Verdict::Skipped);
    }
    state.docs.refresh(&conn, &target.id_lower)?;
    keep_or_drop_infected(state, &target.id_lower, &target.version_lower, held)?;
    state.pending.remove(&target.id_lower, &target.version_lower)?;
    tracing::warn!(id = %target.package_id, version = %target.version, signature, "package failed validation");
    let to = target.pushed_by.map(|u| vdb::user_recipient(&conn, u)).transpose()?.unwrap_or_default();
    notify_failed(state, &to, &target.package_id, &target.version, signature);
    Ok(Verdict::Failed { signature: signature.to_owned() })
}

/// Refuses an infected sync upload before anything is stored: audit, keep or drop, notice.
pub fn refuse_upload(
    state: &AppState,
    principal: &Principal,
    (id, version): (&str, &str),
    (id_lower, version_lower): (&str, &str),
    upload: &Path,
    signature: &str,
    ip: Option<&str>,
) -> Result<AppError, AppError> {
    let conn = state.conn()?;
    db::audit::record(
        &conn,
        &AuditEntry {
            package_id: Some(id),
            version: Some(version),
            detail: Some(&found_reason(signature)),
            ..audit::by(principal, ip, "package.push_refused")
        },
    )?;
    keep_or_drop_infected(state, id_lower, version_lower, upload)?;
    tracing::warn!(id, version, by = %principal.username, signature, "push refused: virus found");
    let to = principal.account_id.map(|u| vdb::user_recipient(&conn, u)).transpose()?.unwrap_or_default();
    notify_failed(state, &to, id, version, signature);
    Ok(AppError::BadRequest(failed_message(signature)))
}

/// With `keep_infected` the bytes go to the quarantine folder; the caller removes the source.
pub fn keep_or_drop_infected(
    state: &AppState,
    id_lower: &str,
    version_lower: &str,
    src: &Path,
) -> Result<(), AppError> {
    if state.config.scan.keep_infected {
        state.quarantine.put(id_lower, version_lower, src)?;
    }
    Ok(())
}

fn audit(tx: &dyn Sql, t: &ScanTarget, action: &str, detail: &str) -> Result<(), db::DbError> {
    db::audit::record(
        tx,
        &AuditEntry {
            actor_name: Some("scanner"),
            action,
            package_id: Some(&t.package_id),
            version: Some(&t.version),
            detail: Some(detail),
            ..AuditEntry::default()
        },
    )
}

pub fn recipients(rows: Vec<vdb::Recipient>) -> Vec<Recipient> {
    let mut seen = std::collections::HashSet::new();
    rows.into_iter()
        .filter(|(_, email)| seen.insert(email.to_ascii_lowercase()))
        .map(|(username, email)| Recipient { username, email })
        .collect()
}

/// A notice that cannot be written is logged: the state change it reports has already happened.
fn notify_failed(state: &AppState, to: &[vdb::Recipient], id: &str, version: &str, signature: &str) {
    let to = recipients(to.to_vec());
    if let Err(e) = state.notifier.validation_failed(&to, &NoticePackage { id, version, signature }) {
        tracing::error!(error = %e, id, version, "writing the validation notice failed");
    }
}

/// Scans a just-accepted version off the request: on tokio's blocking pool when a runtime is
/// there (the server), inline otherwise (CLI import). The retry job is the safety net.
pub fn validate_soon(state: &AppState, id_lower: String, version_lower: String) {
    let state = state.clone();
    let run = move || {
        let result = state
            .conn()
            .and_then(|conn| Ok(vdb::target(&conn, &id_lower, &version_lower)?))
            .and_then(|t| t.map(|t| validate_pending(&state, &t, state.clock.now())).transpose());
        if let Err(e) = result {
            tracing::error!(error = %e, id = %id_lower, version = %version_lower, "background validation failed");
        }
    };
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => drop(handle.spawn_blocking(run)),
        Err(_) => run(),
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RetryReport {
    pub published: usize,
    pub failed: usize,
    pub waiting: usize,
}

impl std::fmt::Display for RetryReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} published, {} failed validation, {} still waiting", self.published, self.failed, self.waiting)
    }
}

/// The retry-validating job: every validating version whose backoff has passed at `now`.
pub fn retry_validating(state: &AppState, now: DateTime<Utc>) -> Result<RetryReport, AppError> {
    let due = vdb::due_validating(&state.conn()?, now)?;
    let mut report = RetryReport::default();
    for target in &due {
        match validate_pending(state, target, now) {
            Ok(Verdict::Published) => report.published += 1,
            Ok(Verdict::Failed { .. }) => report.failed += 1,
            Ok(Verdict::Retry { .. } | Verdict::Skipped) => report.waiting += 1,
            Err(e) => {
                tracing::error!(error = %e, id = %target.package_id, version = %target.version, "validation failed");
                report.waiting += 1;
            }
        }
    }
    Ok(report)
}

//! Publishing a package: parse → authorize → scan (sync mode) → store (create-new) → insert +
//! index in one transaction → render the id's feed documents. Used by v2/v3 push, the portal
//! upload and import. Uploads that wait for a scan are held outside the store (`services::validation`).
use super::audit;
use super::package_file::{inspect, store_extras};
use super::permissions::{authorize, PackageAction, Principal};
use super::validation;
use crate::config::ScanMode;
use crate::db::sql::Sql;
use crate::db::{self, packages};
use crate::domain::nupkg::PackageArchive;
use crate::domain::nuspec::Nuspec;
use crate::domain::version_status::VersionStatus;
use crate::error::AppError;
use crate::scan::ScanOutcome;
use crate::state::AppState;
use crate::store::PutOutcome;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub id: String,
    pub version: String,
}

fn already_exists(id: &str, version: &str) -> AppError {
    AppError::Conflict(format!(
        "A package with id '{id}' and version '{version}' already exists and cannot be modified."
    ))
}

fn deleted(id: &str, version: &str) -> AppError {
    AppError::Conflict(format!(
        "The package '{id}' version '{version}' was deleted and its version number cannot be reused; push a new version."
    ))
}

/// What a push did that was not a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// Scanned clean and available now (201).
    Published(Published),
    /// Stored but not served until its scan comes back clean (202).
    Accepted(Published, Waiting),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// `[scan] mode = "async"`: scanned in the background.
    AsyncScan,
    /// The scanner failed (down, timeout); the retry-validating job tries again with backoff.
    ScannerUnavailable,
}

/// Where an accepted upload goes: served store, or the holding area until its scan passes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Placement {
    Store,
    Pending { scan_error: bool },
}

impl Placement {
    /// Stored packages are served at once; held ones wait for their scan.
    fn initial_status(self) -> VersionStatus {
        match self {
            Placement::Store => VersionStatus::Available,
            Placement::Pending { .. } => VersionStatus::Validating,
        }
    }
}

/// Publishes the package file at `path` (a finished upload): structural checks, authorization,
/// then in sync mode the scan of the upload itself, so an infected file never reaches a served
/// path. Blocking: call from a blocking thread.
pub fn publish_file(
    state: &AppState,
    principal: &Principal,
    path: &Path,
    ip: Option<&str>,
) -> Result<PushOutcome, AppError> {
    let outcome = publish_checked(state, principal, path, ip);
    crate::metrics::push(match &outcome {
        Ok(PushOutcome::Published(_)) => "published",
        Ok(PushOutcome::Accepted(..)) => "accepted",
        Err(AppError::BadRequest(_)) => "invalid",
        Err(AppError::Conflict(_)) => "conflict",
        Err(AppError::Unauthorized { .. } | AppError::Forbidden(_)) => "denied",
        Err(AppError::TooLarge(_)) => "too_large",
        Err(_) => "error",
    });
    outcome
}

fn publish_checked(
    state: &AppState,
    principal: &Principal,
    path: &Path,
    ip: Option<&str>,
) -> Result<PushOutcome, AppError> {
    let (archive, hash, size) = inspect(state, path)?;
    let nuspec = &archive.nuspec;
    let id = nuspec.id.as_str().to_owned();
    let id_lower = nuspec.id.lower();
    let version_lower = nuspec.version.lower_normalized();
    let version = nuspec.version.normalized();

    let conn = state.conn()?;
    // Cheap checks before any file is written; repeated inside the transaction, which decides.
    let existing = packages::find(&conn, &id_lower)?;
    let owners = existing.as_ref().map(|p| packages::owner_ids(&conn, p.key)).transpose()?;
    // Before the owner check: a mirrored id has no owners, and the reason to give is this one.
    if let Some(upstream) = db::upstreams::upstream_of(&conn, &id_lower)? {
        return Err(mirrored_conflict(&id, &upstream));
    }
    authorize(principal, PackageAction::Push, &id, owners.as_deref())?;
    let status = packages::version_status(&conn, &id_lower, &version_lower)?;
    if status == Some(VersionStatus::Deleted) {
        return Err(deleted(&id, &version));
    }
    if !VersionStatus::may_be_replaced(status) {
        return Err(already_exists(&id, &version));
    }
    drop(conn);
    // From here to the end this push alone writes this id+version's files (see `in_flight`).
    let _claim = state.pushes.claim(&id_lower, &version_lower).ok_or_else(|| already_exists(&id, &version))?;
    let _cluster_claim = claim_across_nodes(state, &id_lower, &version_lower, || already_exists(&id, &version))?;
    state.disk.check_writable(size)?;

    let placement = match state.config.scan.mode {
        ScanMode::Async => Placement::Pending { scan_error: false },
        ScanMode::Sync => match state.scanner.scan(path) {
            ScanOutcome::Clean => Placement::Store,
            ScanOutcome::Infected { signature } => {
                let names = (id.as_str(), version.as_str());
                let keys = (id_lower.as_str(), version_lower.as_str());
                return Err(validation::refuse_upload(state, principal, names, keys, path, &signature, ip)?);
            }
            ScanOutcome::Error(message) => {
                tracing::warn!(id = %id, version = %version, error = %message, "scanner unavailable; package held");
                Placement::Pending { scan_error: true }
            }
        },
    };
    let new = NewPackage { archive: &archive, hash: &hash, size, id: &id, version: &version, origin: None };
    commit(state, principal, &new, path, placement, ip)?;
    let published = Published { id, version };
    Ok(match placement {
        Placement::Store => {
            tracing::info!(id = %published.id, version = %published.version, by = %principal.username, "package published");
            PushOutcome::Published(published)
        }
        Placement::Pending { scan_error } => {
            tracing::info!(id = %published.id, version = %published.version, by = %principal.username, "package accepted for validation");
            if scan_error {
                PushOutcome::Accepted(published, Waiting::ScannerUnavailable)
            } else {
                validation::validate_soon(state, id_lower, version_lower);
                PushOutcome::Accepted(published, Waiting::AsyncScan)
            }
        }
    })
}

struct NewPackage<'a> {
    archive: &'a PackageArchive,
    hash: &'a str,
    size: u64,
    id: &'a str,
    version: &'a str,
    /// Set for a version read through from an upstream.
    origin: Option<&'a Origin>,
}

/// Where a mirrored version came from and what the upstream said of it.
#[derive(Debug, Clone)]
pub struct Origin {
    pub upstream: String,
    pub listed: bool,
    /// RFC 3339, when the upstream gave a real date.
    pub published: Option<String>,
}

/// Publishes a package file fetched from an upstream, already verified and scanned clean by
/// `services::mirror::fetch`: stored, inserted and rendered exactly as a push, marked with its
/// source. Refused when the id became local meanwhile (local wins). Blocking.
pub fn publish_mirrored(
    state: &AppState,
    path: &Path,
    archive: &PackageArchive,
    hash: &str,
    size: u64,
    origin: &Origin,
) -> Result<(), AppError> {
    let id = archive.nuspec.id.as_str().to_owned();
    let version = archive.nuspec.version.normalized();
    let principal =
        Principal { username: format!("upstream:{}", origin.upstream), is_admin: true, ..Principal::default() };
    let (id_lower, version_lower) = (archive.nuspec.id.lower(), archive.nuspec.version.lower_normalized());
    let _claim = state.pushes.claim(&id_lower, &version_lower).ok_or_else(|| already_exists(&id, &version))?;
    let _cluster_claim = claim_across_nodes(state, &id_lower, &version_lower, || already_exists(&id, &version))?;
    state.disk.check_writable(size)?;
    let new = NewPackage { archive, hash, size, id: &id, version: &version, origin: Some(origin) };
    commit(state, &principal, &new, path, Placement::Store, None)
}

/// On a database several nodes share, the claim of id+version beyond this process (see
/// `db::cluster::job_lock::try_lock_push`): `taken()` while another node pushes it. One node has
/// only the in-process claim (`state.pushes`).
fn claim_across_nodes(
    state: &AppState,
    id_lower: &str,
    version_lower: &str,
    taken: impl FnOnce() -> AppError,
) -> Result<Option<db::cluster::job_lock::AdvisoryLock>, AppError> {
    if !state.config.database.is_postgres() {
        return Ok(None);
    }
    let lock = db::cluster::job_lock::try_lock_push(&state.config.database.url, id_lower, version_lower)?;
    lock.map(Some).ok_or_else(taken)
}

/// Local wins: a push never adds versions to an id read through from an upstream.
fn mirrored_conflict(id: &str, upstream: &str) -> AppError {
    AppError::Conflict(format!(
        "The id '{id}' is mirrored from the upstream '{upstream}'; local packages cannot use it. Exclude it from that upstream or choose another id."
    ))
}

/// Stores the file (create-new) where `placement` says, then inserts and indexes the version in
/// one transaction (shared with the pushes committing beside it, see `db::group_commit`), then
/// re-renders the id's documents.
fn commit(
    state: &AppState,
    principal: &Principal,
    new: &NewPackage<'_>,
    path: &Path,
    placement: Placement,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let (id, version) = (new.id, new.version);
    let nuspec = &new.archive.nuspec;
    let id_lower = nuspec.id.lower();
    let version_lower = nuspec.version.lower_normalized();
    let (put, dirs) = store_file(state, new, path, placement)?;
    let created = match put {
        PutOutcome::DifferentBytesExist => return Err(already_exists(id, version)),
        PutOutcome::SameBytesExisted => false,
        PutOutcome::Created => true,
    };
    let extras = match placement {
        Placement::Store => store_extras(state, new.archive, &id_lower, &version_lower),
        Placement::Pending { .. } => Ok(()),
    };
    let row = Row {
        principal: principal.clone(),
        nuspec: nuspec.clone(),
        id: id.to_owned(),
        version: version.to_owned(),
        hash: new.hash.to_owned(),
        size: new.size,
        origin: new.origin.cloned(),
        placement,
        retry_at: state.clock.now() + validation::backoff(state, 1),
        ip: ip.map(str::to_owned),
    };
    // Waiting for the batch holds no connection; the 201 is sent only after its commit.
    let committed = extras.and_then(|()| state.commits.submit(&state.db, dirs, Box::new(move |tx| row.insert(tx))));
    let conn = state.conn()?;
    let remove_files = || {
        let _ = match placement {
            Placement::Store => state.store.delete(&id_lower, &version_lower),
            Placement::Pending { .. } => state.pending.remove(&id_lower, &version_lower),
        };
    };
    let keys = match committed {
        Ok(keys) => keys,
        Err(e) => {
            // Remove the files only if this push created them and no row points at them: a racing
            // push of the same bytes may have committed while this one failed.
            if created && packages::version_status(&conn, &id_lower, &version_lower)?.is_none() {
                remove_files();
            }
            return Err(e);
        }
    };
    let mut conn = conn;
    if let Err(e) = state.docs.refresh(&conn, &id_lower) {
        // All or nothing: a version whose documents could not be written (a full disk) would be
        // listed but not downloadable, and its number taken. Take the push back instead.
        tracing::error!(id = %id, version = %version, error = %e, "rendering the feed documents failed; undoing the push");
        let mut undone = conn.write(|tx| db::recovery::undo_push(tx, keys.0, keys.1));
        if undone.is_err() && state.disk.release_reserve() {
            // The undo itself needs a little room in the write-ahead log.
            undone = conn.write(|tx| db::recovery::undo_push(tx, keys.0, keys.1));
        }
        match undone {
            Ok(()) => {
                remove_files();
                if let Err(again) = state.docs.refresh(&conn, &id_lower) {
                    tracing::warn!(id = %id, error = %again, "re-rendering after the undo failed; the id is rendered at the next start");
                }
            }
            Err(undo) => {
                tracing::error!(id = %id, version = %version, error = %undo, "undoing the push failed; its documents are rendered at the next start");
            }
        }
        return Err(e);
    }
    Ok(())
}

/// What one push writes in its transaction, owned: whichever push leads the batch runs it.
struct Row {
    principal: Principal,
    nuspec: Nuspec,
    id: String,
    version: String,
    hash: String,
    size: u64,
    origin: Option<Origin>,
    placement: Placement,
    /// When a held upload whose scanner was unavailable is scanned again.
    retry_at: chrono::DateTime<chrono::Utc>,
    ip: Option<String>,
}

impl Row {
    /// The checks that decide (repeated from before the upload, since another push may have
    /// committed meanwhile), then the rows. `Ok(Err(_))` refuses this push alone.
    fn insert(self, tx: &dyn Sql) -> Result<Result<(i64, i64), AppError>, db::DbError> {
        let (principal, id, version) = (&self.principal, self.id.as_str(), self.version.as_str());
        let id_lower = self.nuspec.id.lower();
        let version_lower = self.nuspec.version.lower_normalized();
        let existing = packages::find(tx, &id_lower)?.map(|p| p.key);
        if let Some(refused) = refusal(tx, &self, existing)? {
            return Ok(Err(refused));
        }
        let (package_key, created) = packages::find_or_create(tx, id, principal.account_id)?;
        // Another node's push created the id since the lookup: checked again as the known id it is.
        if !created && existing.is_none() {
            if let Some(refused) = refusal(tx, &self, Some(package_key))? {
                return Ok(Err(refused));
            }
        }
        if created && self.origin.is_none() {
            db::upstreams::set_verified_if_reserved(tx, package_key)?;
        }
        db::validation::delete_failed(tx, package_key, &version_lower)?;
        let inserted = packages::insert_version(
            tx,
            &packages::NewVersion {
                package_key,
                nuspec: &self.nuspec,
                hash_sha512: &self.hash,
                size: self.size,
                status: self.placement.initial_status(),
                pushed_by: principal.account_id,
            },
        );
        let version_key = match inserted {
            Err(e) if e.is_unique_violation() => return Ok(Err(already_exists(id, version))),
            other => other?,
        };
        if self.placement == (Placement::Pending { scan_error: true }) {
            db::validation::schedule_retry(tx, version_key, 1, self.retry_at, "the virus scanner was unavailable")?;
        }
        packages::record_change(tx, package_key)?;
        record_push(tx, &self, (package_key, version_key))?;
        Ok(Ok((package_key, version_key)))
    }
}

/// Why `row` may not join the id whose key is `existing` (`None`: a new id), if it may not: the
/// owners decide, and local wins over mirrored.
fn refusal(tx: &dyn Sql, row: &Row, existing: Option<i64>) -> Result<Option<AppError>, db::DbError> {
    let owners = existing.map(|key| packages::owner_ids(tx, key)).transpose()?;
    if let Err(denied) = authorize(&row.principal, PackageAction::Push, &row.id, owners.as_deref()) {
        return Ok(Some(denied));
    }
    local_wins(tx, row, existing.is_some())
}

/// The audit entry of a push or mirror, and a mirrored version's source marks.
fn record_push(tx: &dyn Sql, row: &Row, (package_key, version_key): (i64, i64)) -> Result<(), db::DbError> {
    if let Some(origin) = &row.origin {
        let published = origin.published.as_deref();
        db::upstreams::mark_mirrored(tx, package_key, version_key, &origin.upstream, origin.listed, published)?;
    }
    let principal = &row.principal;
    db::audit::record(
        tx,
        &db::audit::AuditEntry {
            package_id: Some(&row.id),
            version: Some(&row.version),
            detail: principal.key.as_ref().map(|k| format!("api key {}", k.key_id)).as_deref(),
            ..audit::by(
                principal,
                row.ip.as_deref(),
                if row.origin.is_some() { "package.mirror" } else { "package.push" },
            )
        },
    )
}

/// Local wins, in both directions: a mirrored version never joins a local id, a push never a
/// mirrored one. Checked in the transaction, which decides.
fn local_wins(tx: &dyn Sql, row: &Row, exists: bool) -> Result<Option<AppError>, db::DbError> {
    let upstream = db::upstreams::upstream_of(tx, &row.nuspec.id.lower())?;
    Ok(match (&row.origin, upstream) {
        (None, Some(upstream)) => Some(mirrored_conflict(&row.id, &upstream)),
        (Some(_), None) if exists => Some(already_exists(&row.id, &row.version)),
        _ => None,
    })
}

/// Stores the upload where `placement` says. Files there that no row backs (left by a crash or a
/// full disk) are not a version: they are moved aside and the upload stored in their place. The
/// caller holds the id+version's claim, so no racing push of this process is about to commit them.
/// Also returns the folders to fsync before the commit (see `PackageStore::put_deferred`).
fn store_file(
    state: &AppState,
    new: &NewPackage<'_>,
    path: &Path,
    placement: Placement,
) -> Result<(PutOutcome, Vec<PathBuf>), AppError> {
    let id_lower = new.archive.nuspec.id.lower();
    let version_lower = new.archive.nuspec.version.lower_normalized();
    let put = || match placement {
        Placement::Store => state.store.put_deferred(&id_lower, &version_lower, path, &new.archive.nuspec_bytes),
        Placement::Pending { .. } => Ok((state.pending.put_new(&id_lower, &version_lower, path)?, Vec::new())),
    };
    let (outcome, dirs) = put()?;
    if outcome == PutOutcome::Created {
        return Ok((outcome, dirs));
    }
    if !VersionStatus::may_be_replaced(packages::version_status(&state.conn()?, &id_lower, &version_lower)?) {
        return Ok((outcome, dirs));
    }
    match placement {
        Placement::Store => {
            let dest = state.store.move_aside(&id_lower, &version_lower, &state.config.lost_found_dir())?;
            tracing::warn!(id = %new.id, version = %new.version, dest = %dest.display(), "package files without a database row moved aside");
        }
        Placement::Pending { .. } => state.pending.remove(&id_lower, &version_lower)?,
    }
    Ok(put()?)
}

//! Start-up recovery and tidying: whatever a crash, a full disk or a hand-made backup left
//! behind is put right (files without a row go to `lost+found/`, rendered documents without a row
//! go, missing ones are marked for rendering), and the purge job removes the same leftovers while
//! the server runs.
//!
//! When the sweep runs: it reads every folder of the data folder, minutes on a cold disk at a
//! million versions. After a crash, or when the database is not the one the last clean stop left,
//! the documents may be wrong, so it runs before the server answers. After a clean stop with the
//! database as that stop left it, the documents on disk match the database and what the sweep could
//! still find (files put in by hand, an upload cut by the stop) harms no answer: it runs while the
//! server serves, touching only what is older than this process.
use crate::db;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::sweep::{self, Cutoff, Leftovers};
use std::time::SystemTime;

/// What the start-up sweep found and did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StartReport {
    /// Version folders (store and pending) with no row, moved to `lost+found/`.
    pub orphans: usize,
    pub leftovers: Leftovers,
    pub uploads: usize,
    /// Ids whose rendered documents no row backs, removed.
    pub docs_removed: usize,
    /// Ids whose documents were missing or stale, marked for rendering in the background.
    pub docs_stale: usize,
}

impl std::fmt::Display for StartReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} orphan version folders moved to lost+found, {} upload temp files and {} staging files removed, {} empty folders removed, {} unbacked document folders removed, {} ids to render",
            self.orphans,
            self.uploads,
            self.leftovers.temp_files,
            self.leftovers.empty_folders,
            self.docs_removed,
            self.docs_stale
        )
    }
}

/// Package folders (store and pending) that no database row backs, within `cutoff`; the walk
/// ends early once `stop` says so.
pub fn orphans(
    state: &AppState,
    cutoff: Cutoff,
    stop: &dyn Fn() -> bool,
) -> Result<Vec<(&'static str, String, String)>, AppError> {
    let backed = db::recovery::versions_with_rows(&state.conn()?)?;
    let mut found = Vec::new();
    for (area, root) in [("packages", state.config.packages_dir()), ("pending", state.config.pending_dir())] {
        found.extend(sweep::orphans(&root, &backed, cutoff, stop)?.into_iter().map(|(id, v)| (area, id, v)));
    }
    Ok(found)
}

/// Moves every orphan folder below `lost+found/`, but for one that has a row by now (the walk
/// can take minutes while the server runs).
pub fn move_orphans(state: &AppState, found: &[(&'static str, String, String)]) -> Result<usize, AppError> {
    // Most sweeps find none: the second read of every row is only worth it when one was found.
    if found.is_empty() {
        return Ok(0);
    }
    let lost_found = state.config.lost_found_dir();
    let backed = db::recovery::versions_with_rows(&state.conn()?)?;
    let mut moved = 0;
    for (area, id, version) in found.iter().filter(|(_, id, v)| !backed.contains(&(id.clone(), v.clone()))) {
        let root = if *area == "packages" { state.config.packages_dir() } else { state.config.pending_dir() };
        sweep::move_orphan(&root, area, id, version, &lost_found)?;
        tracing::warn!(area, id = %id, version = %version, dest = %lost_found.display(), "moved package files no database row backs to lost+found");
        moved += 1;
    }
    Ok(moved)
}

/// Removes upload temp files, `.tmp*` staging files and empty version folders within `cutoff`;
/// the walks end early once `stop` says so.
pub fn remove_leftovers(
    state: &AppState,
    cutoff: Cutoff,
    stop: &dyn Fn() -> bool,
) -> Result<(usize, Leftovers), AppError> {
    let uploads = sweep::clear_uploads(&state.config.tmp_dir(), cutoff)?;
    let mut leftovers = sweep::remove_leftovers(&state.config.packages_dir(), cutoff, true, stop)?;
    leftovers += sweep::remove_leftovers(&state.config.pending_dir(), cutoff, true, stop)?;
    // Empty folders inside a generation are harmless and the writer may be filling them.
    leftovers += sweep::remove_leftovers(&state.config.cache_dir(), cutoff, false, stop)?;
    Ok((uploads, leftovers))
}

/// When the start-up sweep runs (see the module comment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepTiming {
    /// After a crash, or with a database the last clean stop did not leave.
    BeforeServing,
    /// After a clean stop, on the database it left.
    WhileServing,
}

/// Decides when the start-up sweep runs; in doubt (the database cannot be read), before serving.
pub fn sweep_timing(state: &AppState) -> SweepTiming {
    match state.docs.unchanged_since_clean_stop(&state.db) {
        Ok(true) => SweepTiming::WhileServing,
        Ok(false) => SweepTiming::BeforeServing,
        Err(e) => {
            tracing::warn!(error = %e, "reading the database's fingerprint failed: sweeping before serving");
            SweepTiming::BeforeServing
        }
    }
}

/// Runs once before the server takes requests, with nothing of this process in flight.
pub fn sweep_at_start(state: &AppState) -> Result<StartReport, AppError> {
    sweep(state, Cutoff::Everything, &|| false)
}

/// The same sweep while the server serves (`SweepTiming::WhileServing`): only what was last
/// modified before `started` (this process's writes in flight are younger), stopping at shutdown
/// (the next start sweeps again).
pub fn sweep_while_serving(state: &AppState, started: SystemTime) -> Result<StartReport, AppError> {
    // File systems stamp times from a coarse clock (ext4: one timer tick), so a write just after
    // `started` may carry a time just before it; a second's margin only leaves older leftovers
    // for the next sweep.
    let cutoff = Cutoff::ModifiedBefore(started - std::time::Duration::from_secs(1));
    sweep(state, cutoff, &|| state.docs.stopping())
}

fn sweep(state: &AppState, cutoff: Cutoff, stop: &dyn Fn() -> bool) -> Result<StartReport, AppError> {
    // Leftovers first: a version folder a crash left empty is removed, not kept in lost+found.
    let (uploads, leftovers) = remove_leftovers(state, cutoff, stop)?;
    let found = orphans(state, cutoff, stop)?;
    let orphans = move_orphans(state, &found)?;
    let (docs_removed, docs_stale) = state.docs.check_against_database(&state.db, stop)?;
    Ok(StartReport { orphans, leftovers, uploads, docs_removed, docs_stale })
}

/// The background half of start-up: after an unclean stop, forced renders of the ids written since
/// the last flush; then every id marked stale (every id, on PostgreSQL). Stops early at shutdown; what is left stays marked in the database for the next start.
pub fn render_in_background(state: &AppState) -> Result<usize, AppError> {
    if state.docs.needs_repair() {
        let suspect = state.docs.mark_for_repair(&state.db)?;
        tracing::info!(
            ids = suspect,
            "the last run did not flush its feed documents to disk: rendering the ids it wrote again"
        );
    }
    let rendered = state.docs.render_stale(&state.db)?;
    if !state.config.database.is_postgres() {
        return Ok(rendered);
    }
    // On a shared database the render marks are every node's: other nodes changed ids while this
    // one was down (or its data folder is new), so every id is rendered (those just rendered
    // included, counted once); ids whose documents did not change keep their pack and cost no write.
    state.docs.render_all(&state.db)
}

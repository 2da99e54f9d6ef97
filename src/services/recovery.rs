//! Start-up recovery and tidying: whatever a crash, a full disk or a hand-made backup left
//! behind is put right before the server takes requests (files without a row go to
//! `lost+found/`, rendered documents without a row go, missing ones are marked for rendering),
//! and the purge job removes the same leftovers while the server runs.
use crate::db;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::sweep::{self, Leftovers};
use std::time::Duration;

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

/// Package folders (store and pending) that no database row backs.
pub fn orphans(state: &AppState) -> Result<Vec<(&'static str, String, String)>, AppError> {
    let backed = db::recovery::versions_with_rows(&state.conn()?)?;
    let mut found = Vec::new();
    for (area, root) in [("packages", state.config.packages_dir()), ("pending", state.config.pending_dir())] {
        found.extend(sweep::orphans(&root, &backed)?.into_iter().map(|(id, v)| (area, id, v)));
    }
    Ok(found)
}

/// Moves every orphan folder below `lost+found/`.
pub fn move_orphans(state: &AppState, found: &[(&'static str, String, String)]) -> Result<usize, AppError> {
    let lost_found = state.config.lost_found_dir();
    for (area, id, version) in found {
        let root = if *area == "packages" { state.config.packages_dir() } else { state.config.pending_dir() };
        sweep::move_orphan(&root, area, id, version, &lost_found)?;
        tracing::warn!(area, id = %id, version = %version, dest = %lost_found.display(), "moved package files no database row backs to lost+found");
    }
    Ok(found.len())
}

/// Removes upload temp files, `.tmp*` staging files and empty version folders older than `min_age`.
pub fn remove_leftovers(state: &AppState, min_age: Duration) -> Result<(usize, Leftovers), AppError> {
    let uploads = sweep::clear_uploads(&state.config.tmp_dir(), min_age)?;
    let mut leftovers = sweep::remove_leftovers(&state.config.packages_dir(), min_age, true)?;
    leftovers += sweep::remove_leftovers(&state.config.pending_dir(), min_age, true)?;
    // Empty folders inside a generation are harmless and the writer may be filling them.
    leftovers += sweep::remove_leftovers(&state.config.cache_dir(), min_age, false)?;
    Ok((uploads, leftovers))
}

/// Runs once before the server takes requests, with nothing of this process in flight.
pub fn sweep_at_start(state: &AppState) -> Result<StartReport, AppError> {
    // Leftovers first: a version folder a crash left empty is removed, not kept in lost+found.
    let (uploads, leftovers) = remove_leftovers(state, Duration::ZERO)?;
    let found = orphans(state)?;
    let orphans = move_orphans(state, &found)?;
    let (docs_removed, docs_stale) = state.docs.check_against_database(&state.db)?;
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

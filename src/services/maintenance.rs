//! Scheduled upkeep that is not validation: rebuilding the search index and the rendered
//! documents from the database, and deleting expired rows.
use crate::db;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReindexReport {
    /// Packages whose search row was missing, stale or superfluous before the rebuild.
    pub drift: usize,
    /// Ids whose feed documents were re-rendered.
    pub ids: usize,
}

impl std::fmt::Display for ReindexReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "search index rebuilt, {} packages drifted and were repaired; {} ids re-rendered",
            self.drift, self.ids
        )
    }
}

/// Ids per transaction of a search-index rebuild: pushes wait for the write lock a few ms at most.
const REINDEX_BATCH: usize = 200;

/// The reindex job: the search index from the database, a batch of ids per transaction, then
/// every id's documents (rewritten only where they changed).
pub fn reindex(state: &AppState) -> Result<ReindexReport, AppError> {
    let mut conn = state.conn()?;
    let keys = db::search::all_package_keys(&conn)?;
    let mut drift = conn.write(|tx| db::search::remove_orphans(tx))?;
    for batch in keys.chunks(REINDEX_BATCH) {
        drift += conn.write(|tx| db::search::rebuild_packages(tx, batch))?;
    }
    if drift > 0 {
        tracing::warn!(drift, "the search index had drifted from the database; repaired");
    }
    let ids = state.docs.render_all(&state.db)?;
    Ok(ReindexReport { drift, ids })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeReport {
    /// Expired rows deleted, per table.
    pub rows: Vec<(&'static str, usize)>,
    /// Leftover files and folders removed, per kind.
    pub leftovers: Vec<(&'static str, usize)>,
}

impl std::fmt::Display for PurgeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |items: &[(&str, usize)]| {
            items.iter().map(|(what, n)| format!("{n} {what}")).collect::<Vec<_>>().join(", ")
        };
        write!(f, "deleted expired rows: {}; removed leftovers: {}", list(&self.rows), list(&self.leftovers))
    }
}

/// Leftovers younger than this may belong to a write in flight and are kept.
const LEFTOVER_AGE: std::time::Duration = std::time::Duration::from_hours(1);

/// The purge-expired job: rows whose expiry passed before `now`, then files a crash or a full
/// disk left behind (upload temp files, staging files, empty folders) older than an hour.
pub fn purge_expired(state: &AppState, now: chrono::DateTime<chrono::Utc>) -> Result<PurgeReport, AppError> {
    let now = db::validation::time_text(now);
    let rows = state
        .conn()?
        .write(|tx| db::expired::purge(tx, &now))?
        .into_iter()
        .map(|(table, n)| (table, usize::try_from(n).unwrap_or(usize::MAX)))
        .collect();
    let cutoff = crate::store::sweep::Cutoff::older_than(LEFTOVER_AGE);
    let (uploads, leftovers) = super::recovery::remove_leftovers(state, cutoff, &|| false)?;
    let leftovers = vec![
        ("upload temp files", uploads),
        ("staging files", leftovers.temp_files),
        ("empty folders", leftovers.empty_folders),
    ];
    Ok(PurgeReport { rows, leftovers })
}

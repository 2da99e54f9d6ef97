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
    let mut drift = db::write(&mut conn, |tx| db::search::remove_orphans(tx))?;
    for batch in keys.chunks(REINDEX_BATCH) {
        drift += db::write(&mut conn, |tx| db::search::rebuild_packages(tx, batch))?;
    }
    if drift > 0 {
        tracing::warn!(drift, "the search index had drifted from the database; repaired");
    }
    let ids = state.docs.render_all(&state.db)?;
    Ok(ReindexReport { drift, ids })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeReport(pub Vec<(&'static str, usize)>);

impl std::fmt::Display for PurgeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(table, n)| format!("{n} {table}")).collect();
        write!(f, "deleted expired rows: {}", parts.join(", "))
    }
}

/// The purge-expired job: rows whose expiry passed before `now`.
pub fn purge_expired(state: &AppState, now: chrono::DateTime<chrono::Utc>) -> Result<PurgeReport, AppError> {
    let now = db::validation::time_text(now);
    Ok(PurgeReport(db::write(&mut state.conn()?, |tx| db::expired::purge(tx, &now))?))
}

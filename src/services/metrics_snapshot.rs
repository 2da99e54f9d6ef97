//! The gauges read at scrape time rather than kept up to date: cache counts, database and data
//! folder sizes, free disk. The data folder walk is remembered for a minute, so a scrape every few
//! seconds does not walk a large package store each time.
use crate::metrics;
use crate::state::AppState;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WALK_EVERY: Duration = Duration::from_mins(1);

static LAST_WALK: Mutex<Option<(Instant, u64)>> = Mutex::new(None);

/// Brings the scrape-time gauges up to date. Blocking (file system calls).
pub fn refresh(state: &AppState) {
    for (cache, hits, misses) in state.docs.cache_counts() {
        metrics::cache_counts(cache, hits, misses);
    }
    let m = metrics::get();
    // The SQLite file with its WAL; a PostgreSQL server's size is its own to report.
    if state.db.sqlite_maintenance().is_some() {
        let db = state.config.database_path();
        let db_bytes: u64 = ["", "-wal", "-shm"]
            .iter()
            .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", db.display())).ok())
            .map(|meta| meta.len())
            .sum();
        m.database_bytes.set(gauge(db_bytes));
    }
    m.data_dir_bytes.set(gauge(data_dir_bytes(state)));
    if let Ok(stat) = rustix::fs::statvfs(&state.config.data_dir) {
        m.disk_free_bytes.set(gauge(stat.f_bavail.saturating_mul(stat.f_frsize)));
    }
}

fn data_dir_bytes(state: &AppState) -> u64 {
    let mut last = LAST_WALK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((at, bytes)) = *last {
        if at.elapsed() < WALK_EVERY {
            return bytes;
        }
    }
    let bytes = walkdir::WalkDir::new(&state.config.data_dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|entry| entry.metadata().ok())
        .filter(std::fs::Metadata::is_file)
        .map(|meta| meta.len())
        .sum();
    *last = Some((Instant::now(), bytes));
    bytes
}

fn gauge(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

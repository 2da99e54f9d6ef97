//! The connection pool: every pooled connection gets the same PRAGMAs.
use crate::domain::clock::Clock;
use r2d2_sqlite::SqliteConnectionManager;
use std::path::Path;
use std::time::Duration;

pub type Pool = r2d2::Pool<SqliteConnectionManager>;
pub type Conn = r2d2::PooledConnection<SqliteConnectionManager>;

/// Retried this often while another connection holds the write lock: about 10 s in all.
const LOCK_RETRIES: i32 = 100 + 10_000;

/// Waits for another connection's write transaction to end. SQLite's own busy timeout sleeps
/// 1, 2, 5, 10… ms between retries, far longer than a push's transaction (~0.2 ms): with four
/// concurrent pushes the writers spent most of their time asleep. Short naps first, then 1 ms.
fn wait_for_lock(attempt: i32) -> bool {
    let nap = if attempt < 100 { Duration::from_micros(50) } else { Duration::from_millis(1) };
    std::thread::sleep(nap);
    attempt < LOCK_RETRIES
}

/// Opens (creating when absent) the database and applies the pending migrations.
pub fn open(path: &Path, clock: &Clock) -> Result<Pool, super::DbError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| super::DbError::Open(format!("{}: {e}", parent.display())))?;
    }
    let clock = clock.clone();
    let manager = SqliteConnectionManager::file(path).with_init(move |c| {
        // WAL lets readers run beside the one writer; NORMAL is durable across application crashes
        // in WAL mode and avoids an fsync per commit on the read-mostly path.
        c.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;",
        )?;
        c.busy_handler(Some(wait_for_lock))?;
        // The search and feed queries are built from a few shapes each; keep them all prepared.
        c.set_prepared_statement_cache_capacity(128);
        // Rows are stamped with the state's clock.
        super::clock::register(c, clock.clone())?;
        // Version order for SQL (the v2 feed's latest flags and ordering).
        super::version_order::register(c)
    });
    let size = u32::try_from(std::thread::available_parallelism().map_or(4, |n| n.get() * 2)).unwrap_or(8).max(4);
    let pool = r2d2::Pool::builder()
        .max_size(size)
        .connection_timeout(Duration::from_secs(30))
        .build(manager)
        .map_err(|e| super::DbError::Open(format!("{}: {e}", path.display())))?;
    let mut conn = pool.get()?;
    super::migrate::run(&mut conn)?;
    Ok(pool)
}

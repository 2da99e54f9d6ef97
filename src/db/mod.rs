//! The only module that speaks SQL. One file per table group; services call these functions
//! inside `web::block`/`spawn_blocking`.
pub mod api_keys;
pub mod audit;
pub mod clock;
/// What several nodes on one PostgreSQL agree on: change notices, job locks.
pub mod cluster;
pub mod credential_epoch;
pub mod database;
pub mod directory;
pub mod email_tokens;
mod error_mapping;
pub mod expired;
pub mod feed_v2;
pub mod group_commit;
pub mod health;
pub mod job_ticks;
/// Failed sign-ins counted across the nodes of a cluster.
pub mod login_failures;
pub mod mail_log;
pub mod migrate;
pub mod migrate_postgres;
pub mod notices;
pub mod oidc;
pub mod orgs;
pub mod owners;
#[cfg(test)]
pub(crate) mod package_fixtures;
pub mod packages;
pub mod pool;
pub mod recovery;
pub mod search;
pub mod sessions;
/// One SQL layer over SQLite and PostgreSQL; ported modules are written against it.
pub mod sql;
mod status_column;
/// Hashes of files kept in an object store.
pub mod stored_objects;
pub mod support;
pub mod symbols;
#[cfg(test)]
mod test_rows;
/// `galley migrate --to-database`: the SQLite database copied into PostgreSQL, verified.
pub mod to_postgres;
pub mod two_factor;
pub mod upstreams;
pub mod users;
pub mod validation;
pub mod version_order;

pub use database::{Connection, Database};
pub use pool::{open, Conn, Pool};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database {0}")]
    Open(String),
    #[error("the database is at schema version {found} but this galley knows only up to {known}; use a newer galley")]
    TooNew { found: u32, known: u32 },
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database: {0}")]
    Postgres(#[from] postgres::Error),
    /// A column read as a type it does not hold (`sql::Row::get`).
    #[error("database column: {0}")]
    Column(String),
    /// `query_row` of a query that returned nothing.
    #[error("database: the query returned no row")]
    NoRow,
    /// A statement using SQLite-only SQL the layer refuses (`sql/translate.rs`).
    #[error("database: not portable to PostgreSQL: {0}")]
    NotPortable(String),
}

impl DbError {
    /// True when a UNIQUE constraint refused the write: the database arbitrated a race.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            DbError::Postgres(e) => e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
            _ => false,
        }
    }
}

/// Timestamps are stored as RFC 3339 UTC text so they sort and read well; "now" is the
/// connection's clock (see `clock.rs`).
pub fn now_text(conn: &rusqlite::Connection) -> rusqlite::Result<String> {
    clock::now_text(conn)
}

/// A write whose commit must survive a power loss, not only a crash of Galley: a publication the
/// client is told succeeded, an unlist, relist or delete. The WAL is fsynced at this commit (which
/// also makes every earlier commit durable); other writes (sessions, download counts, render
/// bookkeeping) commit with `synchronous = NORMAL`, which survives a crash of the process.
pub fn write_durable<T>(
    conn: &mut Conn,
    f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, DbError>,
) -> Result<T, DbError> {
    conn.pragma_update(None, "synchronous", "FULL")?;
    let result = write(conn, f);
    // Pooled connections are shared: always back to the pool's setting, whatever the outcome.
    let restored = conn.pragma_update(None, "synchronous", "NORMAL");
    let value = result?;
    restored?;
    Ok(value)
}

/// Runs a short write transaction that takes the write lock up front, so concurrent writers queue
/// on the busy handler (see `pool.rs`) instead of failing with `SQLITE_BUSY` on lock upgrade.
pub fn write<T>(
    conn: &mut Conn,
    f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, DbError>,
) -> Result<T, DbError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let value = f(&tx)?;
    tx.commit()?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synchronous(conn: &rusqlite::Connection) -> i64 {
        conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap()
    }

    /// A durable write commits with `synchronous = FULL` (2) and leaves the pooled connection at
    /// `NORMAL` (1) again, also when the write fails.
    #[test]
    fn durable_writes_restore_the_pool_setting() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(&dir.path().join("galley.db"), &crate::domain::clock::Clock::system()).unwrap();
        let mut conn = pool.get().unwrap();
        assert_eq!(synchronous(&conn), 1);
        let inside = write_durable(&mut conn, |tx| Ok(synchronous(tx))).unwrap();
        assert_eq!(inside, 2);
        assert_eq!(synchronous(&conn), 1);
        let failed: Result<(), DbError> =
            write_durable(&mut conn, |tx| Ok(tx.execute("INSERT INTO no_such_table VALUES (1)", []).map(|_| ())?));
        assert!(failed.is_err());
        assert_eq!(synchronous(&conn), 1);
    }
}

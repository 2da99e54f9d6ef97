//! What the cluster tests share: a scratch database on the test PostgreSQL (none when its half is
//! skipped, see `sql::testing`), a way to end other sessions as an administrator would, and a
//! bounded wait for something another thread or session does.
use crate::db::sql::testing::{postgres_url, ScratchDatabase};
use crate::db::sql::Sql;
use crate::db::DbError;
use crate::domain::clock::Clock;
use std::time::{Duration, Instant};

pub fn scratch() -> Option<ScratchDatabase> {
    postgres_url().map(|url| ScratchDatabase::create(&url))
}

/// Ends every session of `database` whose application is `name`, as `pg_terminate_backend` from
/// an administrator does; how many it ended.
pub fn terminate(database: &ScratchDatabase, name: &str) -> i64 {
    let mut admin = database.connect();
    admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = current_database() AND application_name = $1",
            &[&name],
        )
        .unwrap()
        .get(0)
}

/// Polls `done` until it holds or `limit` passes; whether it held.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

/// One database reached through a pool of each engine, so that a test can act as two nodes (two
/// connections, each in its own transaction): a SQLite file, or a scratch PostgreSQL database.
pub enum Shared {
    /// The folder is held only to be removed after the pool, with the test.
    Sqlite {
        pool: crate::db::Pool,
        _dir: tempfile::TempDir,
    },
    Postgres {
        pool: crate::db::sql::PostgresPool,
        _database: Box<ScratchDatabase>,
    },
}

impl Shared {
    /// SQLite's, then PostgreSQL's when its half runs.
    pub fn both() -> Vec<Shared> {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("galley.db"), &Clock::system()).unwrap();
        let mut engines = vec![Shared::Sqlite { pool, _dir: dir }];
        if let Some(database) = scratch() {
            let pool = crate::db::sql::open_pool(&database.url(), 4).unwrap();
            engines.push(Shared::Postgres { pool, _database: Box::new(database) });
        }
        engines
    }

    /// Runs `f` in a transaction on a connection of its own, committed when it returns `Ok`.
    pub fn tx<T>(&self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        match self {
            Shared::Sqlite { pool, .. } => {
                let mut conn = pool.get()?;
                let tx = conn.transaction()?;
                let value = f(&tx)?;
                tx.commit()?;
                Ok(value)
            }
            Shared::Postgres { pool, .. } => {
                let mut conn = pool.get()?;
                let tx = crate::db::sql::begin(&mut conn, &Clock::system())?;
                let value = f(&tx)?;
                tx.commit()?;
                Ok(value)
            }
        }
    }
}

//! `Database`: the handle the state holds and services receive, engine-neutral (issue #21). A
//! service asks it for a `Connection` or runs its writes in a transaction; both are `&dyn Sql`,
//! so no service names rusqlite and the same service code runs on SQLite (the embedded file) and
//! on PostgreSQL (`[database] url`).
use super::sql::{self, Engine, Row, Sql, Value};
use super::{Conn, DbError, Pool};
use crate::domain::clock::Clock;
use rusqlite::TransactionBehavior;
use std::cell::RefCell;

type PostgresConn = r2d2::PooledConnection<r2d2_postgres::PostgresConnectionManager<postgres::NoTls>>;

#[derive(Clone)]
pub struct Database {
    engine: Pools,
}

#[derive(Clone)]
enum Pools {
    Sqlite(Pool),
    /// PostgreSQL's `galley_now()` reads the clock from each transaction (`sql::begin`), so the
    /// handle keeps the state's clock (SQLite's connections registered it when pooled).
    Postgres(sql::PostgresPool, Clock),
}

/// One pooled connection of either engine, used by one thread at a time.
pub struct Connection {
    engine: Connected,
}

enum Connected {
    Sqlite(Conn),
    Postgres(Box<RefCell<PostgresConn>>, Clock),
}

impl Database {
    /// The embedded database (`db::open`).
    pub fn sqlite(pool: Pool) -> Self {
        Self { engine: Pools::Sqlite(pool) }
    }

    /// A PostgreSQL server (`sql::open_pool`, which brought the schema up to date).
    pub fn postgres(pool: sql::PostgresPool, clock: Clock) -> Self {
        Self { engine: Pools::Postgres(pool, clock) }
    }

    pub fn engine(&self) -> Engine {
        match self.engine {
            Pools::Sqlite(_) => Engine::Sqlite,
            Pools::Postgres(..) => Engine::Postgres,
        }
    }

    pub fn connection(&self) -> Result<Connection, DbError> {
        let engine = match &self.engine {
            Pools::Sqlite(pool) => Connected::Sqlite(pool.get()?),
            Pools::Postgres(pool, clock) => Connected::Postgres(Box::new(RefCell::new(pool.get()?)), clock.clone()),
        };
        Ok(Connection { engine })
    }

    /// The SQLite pool, for what only SQLite has and PostgreSQL answers with its own tools
    /// (`pg_dump`, `amcheck`): the `VACUUM INTO` snapshot, `PRAGMA integrity_check`, the schema
    /// version of a file (`db::recovery`, used by `galley check`, backup and restore), and tests
    /// that read rows of the file. `None` on PostgreSQL.
    pub fn sqlite_maintenance(&self) -> Option<&Pool> {
        match &self.engine {
            Pools::Sqlite(pool) => Some(pool),
            Pools::Postgres(..) => None,
        }
    }

    /// The PostgreSQL pool (the cluster's listener and shared limits); `None` on SQLite.
    pub fn postgres_pool(&self) -> Option<&sql::PostgresPool> {
        match &self.engine {
            Pools::Sqlite(_) => None,
            Pools::Postgres(pool, _) => Some(pool),
        }
    }
}

/// What `galley check` asks of the database itself.
pub struct FileCheck {
    pub schema: u32,
    /// `PRAGMA integrity_check`'s answer ("ok" when sound); `None` on PostgreSQL, whose own
    /// tools check its files (`amcheck`).
    pub integrity: Option<String>,
    /// Rows of the search index that disagreed with the packages (counted, not repaired).
    pub search_drift: usize,
}

impl Database {
    /// `galley check`'s questions to the database: the schema version and the search index's
    /// drift on both engines, SQLite's integrity check on SQLite.
    pub fn check_file(&self) -> Result<FileCheck, DbError> {
        match &self.engine {
            Pools::Sqlite(pool) => {
                let mut conn = pool.get()?;
                Ok(FileCheck {
                    schema: super::recovery::schema_version(&conn)?,
                    integrity: Some(super::recovery::integrity(&conn)?),
                    search_drift: super::recovery::search_drift(&mut conn)?,
                })
            }
            Pools::Postgres(pool, clock) => {
                let mut client = pool.get()?;
                let schema = super::migrate_postgres::current_version(&mut client)?;
                // Rebuilt to compare, then rolled back (dropped uncommitted).
                let search_drift = super::recovery::search_drift_in(&sql::begin(&mut client, clock)?)?;
                Ok(FileCheck { schema, integrity: None, search_drift })
            }
        }
    }
}

impl Connection {
    /// A short write transaction (`db::write`: the write lock taken up front on SQLite).
    pub fn write<T>(&mut self, work: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        match &mut self.engine {
            Connected::Sqlite(conn) => super::write(conn, |tx| work(tx)),
            Connected::Postgres(client, clock) => in_postgres(client.get_mut(), clock, work),
        }
    }

    /// A write whose commit must survive a power loss (`db::write_durable`). On PostgreSQL every
    /// commit is: with the default `synchronous_commit = on` the commit returns only after its
    /// WAL record is flushed, so this is `write`.
    pub fn write_durable<T>(&mut self, work: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        match &mut self.engine {
            Connected::Sqlite(conn) => super::write_durable(conn, |tx| work(tx)),
            Connected::Postgres(client, clock) => in_postgres(client.get_mut(), clock, work),
        }
    }

    /// Several writes that land together or not at all, with the caller's error type: committed
    /// when `work` succeeds, rolled back when it fails (`services::in_transaction`).
    pub fn transaction<T, E: From<DbError>>(&mut self, work: impl FnOnce(&dyn Sql) -> Result<T, E>) -> Result<T, E> {
        match &mut self.engine {
            Connected::Sqlite(conn) => {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(DbError::from)?;
                let value = work(&tx)?;
                tx.commit().map_err(DbError::from)?;
                Ok(value)
            }
            Connected::Postgres(client, clock) => in_postgres(client.get_mut(), clock, work),
        }
    }

    /// Several reads from one snapshot (rolled back: it wrote nothing). On PostgreSQL a
    /// read-only REPEATABLE READ transaction, where a write fails.
    pub fn snapshot<T, E: From<DbError>>(&mut self, work: impl FnOnce(&dyn Sql) -> Result<T, E>) -> Result<T, E> {
        match &mut self.engine {
            Connected::Sqlite(conn) => {
                let tx = conn.transaction().map_err(DbError::from)?;
                work(&tx)
            }
            Connected::Postgres(client, clock) => {
                let tx = sql::begin_snapshot(client.get_mut(), clock)?;
                work(&tx)
            }
        }
    }
}

/// Runs `work` in one PostgreSQL transaction begun with the state's clock, committed when it
/// succeeds (dropped, so rolled back, when it fails).
fn in_postgres<T, E: From<DbError>>(
    client: &mut postgres::Client,
    clock: &Clock,
    work: impl FnOnce(&dyn Sql) -> Result<T, E>,
) -> Result<T, E> {
    let tx = sql::begin(client, clock)?;
    let value = work(&tx)?;
    tx.commit()?;
    Ok(value)
}

/// A statement on the connection itself commits on its own. On PostgreSQL it runs in a
/// transaction of its own too, begun with the state's clock, so that `galley_now()` in it reads
/// what the rest of the server reads.
impl Sql for Connection {
    fn engine(&self) -> Engine {
        match self.engine {
            Connected::Sqlite(_) => Engine::Sqlite,
            Connected::Postgres(..) => Engine::Postgres,
        }
    }
    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        match &self.engine {
            Connected::Sqlite(conn) => Sql::execute(conn, sql, params),
            Connected::Postgres(client, clock) => {
                in_postgres(&mut client.borrow_mut(), clock, |tx| tx.execute(sql, params))
            }
        }
    }
    fn query_all(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        match &self.engine {
            Connected::Sqlite(conn) => Sql::query_all(conn, sql, params),
            Connected::Postgres(client, clock) => {
                in_postgres(&mut client.borrow_mut(), clock, |tx| tx.query_all(sql, params))
            }
        }
    }
    fn query_first(&self, sql: &str, params: &[Value]) -> Result<Option<Row>, DbError> {
        match &self.engine {
            Connected::Sqlite(conn) => Sql::query_first(conn, sql, params),
            Connected::Postgres(client, clock) => {
                in_postgres(&mut client.borrow_mut(), clock, |tx| tx.query_first(sql, params))
            }
        }
    }
    fn now_text(&self) -> Result<String, DbError> {
        match &self.engine {
            Connected::Sqlite(conn) => Sql::now_text(conn),
            Connected::Postgres(_, clock) => Ok(clock.now_text()),
        }
    }
}

/// Pushes commit in batches on whichever engine the state holds (see `db::group_commit`).
impl<T> super::group_commit::Target<T, super::group_commit::Job<T>> for Database {
    fn commit(
        &self,
        jobs: Vec<super::group_commit::Job<T>>,
    ) -> Result<Vec<Result<T, crate::error::AppError>>, DbError> {
        match &self.engine {
            Pools::Sqlite(pool) => pool.commit(jobs),
            Pools::Postgres(pool, clock) => super::group_commit::PostgresTarget { pool, clock }.commit(jobs),
        }
    }
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::values;

    fn sqlite(dir: &std::path::Path) -> Database {
        Database::sqlite(super::super::open(&dir.join("galley.db"), &crate::domain::clock::Clock::system()).unwrap())
    }

    fn count(db: &Database) -> i64 {
        let conn = db.connection().unwrap();
        (&conn as &dyn Sql).query_row("SELECT count(*) FROM packages", values![], |r| r.get(0)).unwrap()
    }

    const INSERT: &str = "INSERT INTO packages (package_id, id_lower, created_at) VALUES (?1, ?1, 'now')";

    /// A transaction keeps its writes when the work succeeds and none of them when it fails,
    /// whatever the error type; a snapshot keeps nothing.
    #[test]
    fn transactions_commit_on_success_and_roll_back_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        transactions_keep_what_they_should(&sqlite(dir.path()));
        if let Some(url) = crate::db::sql::testing::postgres_url() {
            let scratch = crate::db::sql::testing::ScratchDatabase::create(&url);
            let db = Database::postgres(sql::open_pool(&scratch.url(), 2).unwrap(), Clock::system());
            transactions_keep_what_they_should(&db);
            // A snapshot on PostgreSQL is read-only: its write fails rather than vanish.
            let write: Result<u64, DbError> = db.connection().unwrap().snapshot(|tx| tx.execute(INSERT, values!["d"]));
            assert!(write.is_err());
            drop(db);
        }
    }

    fn transactions_keep_what_they_should(db: &Database) {
        let db = db.clone();
        let failed: Result<(), crate::error::AppError> = db.connection().unwrap().transaction(|tx| {
            tx.execute(INSERT, values!["a"])?;
            Err(crate::error::AppError::BadRequest("refused".into()))
        });
        assert!(failed.is_err());
        assert_eq!(count(&db), 0);
        db.connection().unwrap().transaction(|tx| tx.execute(INSERT, values!["a"])).unwrap();
        db.connection().unwrap().write(|tx| tx.execute(INSERT, values!["b"])).unwrap();
        assert_eq!(count(&db), 2);
        let seen = db
            .connection()
            .unwrap()
            .snapshot(|tx| tx.query_row("SELECT count(*) FROM packages", values![], |r| r.get::<i64>(0)));
        assert_eq!(seen.unwrap(), 2);
        db.connection().unwrap().execute(INSERT, values!["c"]).unwrap();
        assert_eq!(count(&db), 3);
    }
}

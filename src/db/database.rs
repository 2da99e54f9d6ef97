//! `Database`: the handle the state holds and services receive, engine-neutral (issue #21). A
//! service asks it for a `Connection` or runs its writes in a transaction; both are `&dyn Sql`,
//! so no service names rusqlite and the same service code will run on PostgreSQL. Today the
//! handle wraps the SQLite pool; the PostgreSQL pool (`sql::PostgresPool`) goes beside it.
use super::sql::{Engine, Row, Sql, Value};
use super::{Conn, DbError, Pool};
use rusqlite::TransactionBehavior;

#[derive(Clone)]
pub struct Database {
    sqlite: Pool,
}

/// One pooled connection of either engine (today SQLite), used by one thread at a time.
pub struct Connection {
    sqlite: Conn,
}

impl Database {
    /// The embedded database (`db::open`).
    pub fn sqlite(pool: Pool) -> Self {
        Self { sqlite: pool }
    }

    pub fn connection(&self) -> Result<Connection, DbError> {
        Ok(Connection { sqlite: self.sqlite.get()? })
    }

    /// The SQLite pool, for what only SQLite has and PostgreSQL answers with its own tools
    /// (`pg_dump`, `amcheck`): the `VACUUM INTO` snapshot, `PRAGMA integrity_check`, the schema
    /// version of a file (`db::recovery`, used by `galley check`, backup and restore), and tests
    /// that read rows of the file. `None` on PostgreSQL.
    pub fn sqlite_maintenance(&self) -> Option<&Pool> {
        Some(&self.sqlite)
    }
}

/// What `galley check` asks of the SQLite file itself.
pub struct FileCheck {
    pub schema: u32,
    /// `PRAGMA integrity_check`'s answer ("ok" when sound).
    pub integrity: String,
    /// Rows the FTS5 index disagreed on (repaired).
    pub search_drift: usize,
}

impl Database {
    /// SQLite-only maintenance (`galley check`): the schema version, the integrity check and the
    /// full-text index's drift. PostgreSQL has its own tools for these (`amcheck`; its search
    /// index is a generated column that cannot drift), so this path stays SQLite's.
    pub fn check_file(&self) -> Result<FileCheck, DbError> {
        let mut conn = self.sqlite.get()?;
        Ok(FileCheck {
            schema: super::recovery::schema_version(&conn)?,
            integrity: super::recovery::integrity(&conn)?,
            search_drift: super::recovery::search_drift(&mut conn)?,
        })
    }
}

impl Connection {
    /// A short write transaction (`db::write`: the write lock taken up front).
    pub fn write<T>(&mut self, work: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        super::write(&mut self.sqlite, |tx| work(tx))
    }

    /// A write whose commit must survive a power loss (`db::write_durable`).
    pub fn write_durable<T>(&mut self, work: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        super::write_durable(&mut self.sqlite, |tx| work(tx))
    }

    /// Several writes that land together or not at all, with the caller's error type: committed
    /// when `work` succeeds, rolled back when it fails (`services::in_transaction`).
    pub fn transaction<T, E: From<DbError>>(&mut self, work: impl FnOnce(&dyn Sql) -> Result<T, E>) -> Result<T, E> {
        let tx = self.sqlite.transaction_with_behavior(TransactionBehavior::Immediate).map_err(DbError::from)?;
        let value = work(&tx)?;
        tx.commit().map_err(DbError::from)?;
        Ok(value)
    }

    /// Several reads from one snapshot (a deferred transaction, rolled back: it wrote nothing).
    pub fn snapshot<T, E: From<DbError>>(&mut self, work: impl FnOnce(&dyn Sql) -> Result<T, E>) -> Result<T, E> {
        let tx = self.sqlite.transaction().map_err(DbError::from)?;
        work(&tx)
    }
}

impl Sql for Connection {
    fn engine(&self) -> Engine {
        Engine::Sqlite
    }
    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        Sql::execute(&self.sqlite, sql, params)
    }
    fn query_all(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        Sql::query_all(&self.sqlite, sql, params)
    }
    fn query_first(&self, sql: &str, params: &[Value]) -> Result<Option<Row>, DbError> {
        Sql::query_first(&self.sqlite, sql, params)
    }
    fn now_text(&self) -> Result<String, DbError> {
        Sql::now_text(&self.sqlite)
    }
}

/// Pushes commit in batches on whichever engine the state holds (see `db::group_commit`).
impl<T> super::group_commit::Target<T, super::group_commit::Job<T>> for Database {
    fn commit(
        &self,
        jobs: Vec<super::group_commit::Job<T>>,
    ) -> Result<Vec<Result<T, crate::error::AppError>>, DbError> {
        self.sqlite.commit(jobs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values;

    fn database(dir: &std::path::Path) -> Database {
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
        let db = database(dir.path());
        let failed: Result<(), crate::error::AppError> = db.connection().unwrap().transaction(|tx| {
            tx.execute(INSERT, values!["a"])?;
            Err(crate::error::AppError::BadRequest("refused".into()))
        });
        assert!(failed.is_err());
        assert_eq!(count(&db), 0);
        db.connection().unwrap().transaction(|tx| tx.execute(INSERT, values!["a"])).unwrap();
        db.connection().unwrap().write(|tx| tx.execute(INSERT, values!["b"])).unwrap();
        assert_eq!(count(&db), 2);
        let seen = db.connection().unwrap().snapshot(|tx| {
            tx.execute(INSERT, values!["c"])?;
            tx.query_row("SELECT count(*) FROM packages", values![], |r| r.get::<i64>(0))
        });
        assert_eq!(seen.unwrap(), 3);
        assert_eq!(count(&db), 2);
    }
}

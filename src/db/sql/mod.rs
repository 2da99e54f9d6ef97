//! One SQL layer for two engines (issue #21; ARCHITECTURE.md "Data access on two engines").
//!
//! A `db::` function is written once against `&dyn Sql`: its statements in the SQL both engines
//! share, with SQLite's `?N` placeholders, parameters as `values![…]`, rows read with
//! `Row::get`. `sqlite.rs` runs it on rusqlite (a pooled connection or a transaction, so the
//! services' `in_transaction` keeps passing its `&Transaction`); `postgres.rs` runs it on the
//! `postgres` crate, translating the statement once (`translate.rs`). New ids come back with
//! `RETURNING id`, which both engines answer, never `last_insert_rowid()`.
//!
//! Statements run through `&self`: SQLite's connection is used through a shared reference, and
//! the PostgreSQL side keeps its client in a `RefCell` (a connection is used by one thread at a
//! time, as with SQLite).
#[cfg(test)]
mod engine_tests;
mod postgres;
mod row;
mod sqlite;
#[cfg(test)]
pub mod testing;
mod translate;
mod value;

pub use self::postgres::{begin, begin_snapshot, open_pool, Postgres, PostgresPool};
pub use row::Row;
pub(crate) use sqlite::value as sqlite_value;
pub use translate::to_postgres;
pub use value::{FromValue, Value};

use super::DbError;

/// Which engine a connection speaks, for the few places whose SQL cannot be shared (full-text
/// search: FTS5 `MATCH` on SQLite, `tsvector @@ tsquery` on PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A connection or transaction of either engine.
pub trait Sql {
    fn engine(&self) -> Engine;

    /// Runs a statement that returns no rows; the number of rows it changed.
    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError>;

    /// Every row of a query, in order.
    fn query_all(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError>;

    /// The first row of a query, if any (the rest are not read).
    fn query_first(&self, sql: &str, params: &[Value]) -> Result<Option<Row>, DbError>;

    /// "Now" as the rows are stamped with it (RFC 3339 text from the state's clock): SQLite's
    /// `galley_now()` function of the pooled connection, PostgreSQL's `galley_now()` reading the
    /// clock offset the transaction was begun with (`postgres::begin`).
    fn now_text(&self) -> Result<String, DbError>;
}

impl dyn Sql + '_ {
    /// The first row of a query, which must return one.
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: &[Value],
        f: impl FnOnce(&Row) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        self.query_optional(sql, params, f)?.ok_or(DbError::NoRow)
    }

    /// The first row of a query, if it returns any.
    pub fn query_optional<T>(
        &self,
        sql: &str,
        params: &[Value],
        f: impl FnOnce(&Row) -> Result<T, DbError>,
    ) -> Result<Option<T>, DbError> {
        self.query_first(sql, params)?.as_ref().map(f).transpose()
    }

    /// Runs `f` in a savepoint of this transaction, rolled back alone when `f` fails, so the
    /// transaction goes on after a refusal the caller answers (a UNIQUE violation): PostgreSQL
    /// otherwise aborts the whole transaction at a failed statement, and every later one fails.
    pub fn in_savepoint<T>(&self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        self.execute("SAVEPOINT attempt", &[])?;
        let result = f(self);
        if result.is_err() {
            self.execute("ROLLBACK TO attempt", &[])?;
        }
        self.execute("RELEASE attempt", &[])?;
        result
    }

    /// Every row of a query, each turned into a `T`.
    pub fn query_map<T>(
        &self,
        sql: &str,
        params: &[Value],
        f: impl FnMut(&Row) -> Result<T, DbError>,
    ) -> Result<Vec<T>, DbError> {
        self.query_all(sql, params)?.iter().map(f).collect()
    }
}

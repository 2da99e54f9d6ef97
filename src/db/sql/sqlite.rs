//! The SQL layer on rusqlite: for a connection, a pooled connection and a transaction, so that
//! `db::` functions ported to `&dyn Sql` keep accepting what the services already pass them.
use super::{translate, Engine, Row, Sql, Value};
use crate::db::DbError;
use rusqlite::types::{ToSqlOutput, ValueRef};

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(v) => ValueRef::Integer(*v),
            Value::Real(v) => ValueRef::Real(*v),
            Value::Text(v) => ValueRef::Text(v.as_bytes()),
            Value::Blob(v) => ValueRef::Blob(v),
        }))
    }
}

/// A SQLite value as the layer's `Value` (also read by `db::to_postgres`, which streams rows).
pub(crate) fn value(v: ValueRef<'_>) -> Result<Value, DbError> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(
            String::from_utf8(t.to_vec()).map_err(|_| DbError::Column("text that is not UTF-8".to_owned()))?,
        ),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    })
}

/// A rusqlite row as the layer's `Row`, for the code still reading rows of its own rusqlite
/// queries through a ported row reader (`db::feed_v2` through `packages::version_from_row`).
fn row(r: &rusqlite::Row<'_>) -> Result<Row, DbError> {
    let count = r.as_ref().column_count();
    (0..count).map(|i| value(r.get_ref(i)?)).collect::<Result<_, _>>().map(Row)
}

/// Refuses on SQLite too what PostgreSQL could not run, so that the SQLite half of a test
/// already catches it (the translation is cached, so this is a hash lookup per statement).
fn portable(sql: &str) -> Result<(), DbError> {
    translate::to_postgres(sql).map(drop).map_err(DbError::NotPortable)
}

fn execute(conn: &rusqlite::Connection, sql: &str, params: &[Value]) -> Result<u64, DbError> {
    portable(sql)?;
    let changed = conn.prepare_cached(sql)?.execute(rusqlite::params_from_iter(params))?;
    Ok(u64::try_from(changed).unwrap_or(u64::MAX))
}

fn query_all(conn: &rusqlite::Connection, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
    portable(sql)?;
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(rusqlite::params_from_iter(params))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(row(r)?);
    }
    Ok(out)
}

fn query_first(conn: &rusqlite::Connection, sql: &str, params: &[Value]) -> Result<Option<Row>, DbError> {
    portable(sql)?;
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(rusqlite::params_from_iter(params))?;
    rows.next()?.map(row).transpose()
}

/// One impl per type the services hold, all through the `Connection` they deref to.
macro_rules! sqlite_sql {
    ($($t:ty),*) => {$(
        impl Sql for $t {
            fn engine(&self) -> Engine {
                Engine::Sqlite
            }
            fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
                execute(self, sql, params)
            }
            fn query_all(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
                query_all(self, sql, params)
            }
            fn query_first(&self, sql: &str, params: &[Value]) -> Result<Option<Row>, DbError> {
                query_first(self, sql, params)
            }
            fn now_text(&self) -> Result<String, DbError> {
                Ok(crate::db::clock::now_text(self)?)
            }
        }
    )*};
}

sqlite_sql!(rusqlite::Connection, rusqlite::Transaction<'_>, crate::db::Conn);

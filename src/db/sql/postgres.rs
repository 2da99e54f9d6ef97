//! The SQL layer on PostgreSQL (the `postgres` crate's synchronous client, pooled by r2d2 like
//! SQLite's connections). Columns map onto `Value` by their type: the integer types (the schema
//! uses BIGINT for every SQLite INTEGER) to `Integer`, text types to `Text`, `bytea` to `Blob`,
//! floats to `Real`; parameters are sent as the type PostgreSQL inferred for them, so a `Value`
//! fits a BIGINT, INTEGER or TEXT parameter alike.
use super::{translate, Engine, Row, Sql, Value};
use crate::db::DbError;
use crate::domain::clock::Clock;
use bytes::BytesMut;
use postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};
use postgres::GenericClient;
use r2d2_postgres::PostgresConnectionManager;
use std::cell::RefCell;
use std::error::Error;
use std::str::FromStr;

type BoxError = Box<dyn Error + Sync + Send>;

pub type PostgresPool = r2d2::Pool<PostgresConnectionManager<postgres::NoTls>>;

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        let text_like = matches!(*ty, Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN);
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(v) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                #[allow(clippy::cast_precision_loss)]
                Type::FLOAT8 => (*v as f64).to_sql(ty, out),
                _ => Err(format!("an integer cannot be sent as {ty}").into()),
            },
            Value::Real(v) => match *ty {
                Type::FLOAT8 => v.to_sql(ty, out),
                _ => Err(format!("a real cannot be sent as {ty}").into()),
            },
            Value::Text(v) if text_like => v.as_str().to_sql(ty, out),
            Value::Text(_) => Err(format!("text cannot be sent as {ty}").into()),
            Value::Blob(v) if *ty == Type::BYTEA => v.as_slice().to_sql(ty, out),
            Value::Blob(_) => Err(format!("a blob cannot be sent as {ty}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(match *ty {
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Integer(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Integer(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => Value::Text(String::from_sql(ty, raw)?),
            Type::BYTEA => Value::Blob(Vec::<u8>::from_sql(ty, raw)?),
            // sum() of BIGINTs is NUMERIC on PostgreSQL: the query casts it back to BIGINT.
            _ => return Err(format!("a column of type {ty} has no Value (cast it to BIGINT, TEXT, …)").into()),
        })
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

fn row(r: &postgres::Row) -> Result<Row, DbError> {
    (0..r.len()).map(|i| r.try_get::<_, Value>(i)).collect::<Result<_, _>>().map(Row).map_err(DbError::from)
}

fn translated(sql: &str) -> Result<std::sync::Arc<str>, DbError> {
    translate::to_postgres(sql).map_err(DbError::NotPortable)
}

fn parameters(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

/// A PostgreSQL client or transaction used through the SQL layer. Begin transactions with
/// `begin`, which gives `galley_now()` the state's clock.
pub struct Postgres<C>(RefCell<C>);

impl<C: GenericClient> Postgres<C> {
    pub fn new(client: C) -> Self {
        Self(RefCell::new(client))
    }

    pub fn into_inner(self) -> C {
        self.0.into_inner()
    }
}

impl Postgres<postgres::Transaction<'_>> {
    pub fn commit(self) -> Result<(), DbError> {
        Ok(self.into_inner().commit()?)
    }
}

/// Begins a transaction whose `galley_now()` reads `clock`: its offset is a setting local to
/// the transaction (`galley.clock_offset_ms`, read by the function of `migrations/postgres/`).
pub fn begin<'a>(
    client: &'a mut postgres::Client,
    clock: &Clock,
) -> Result<Postgres<postgres::Transaction<'a>>, DbError> {
    with_clock(client.transaction()?, clock)
}

/// Begins a read-only transaction on one snapshot (REPEATABLE READ: every statement sees the
/// database as of the first), its `galley_now()` reading `clock` as `begin`'s does.
pub fn begin_snapshot<'a>(
    client: &'a mut postgres::Client,
    clock: &Clock,
) -> Result<Postgres<postgres::Transaction<'a>>, DbError> {
    let tx =
        client.build_transaction().isolation_level(postgres::IsolationLevel::RepeatableRead).read_only(true).start()?;
    with_clock(tx, clock)
}

fn with_clock<'a>(
    mut tx: postgres::Transaction<'a>,
    clock: &Clock,
) -> Result<Postgres<postgres::Transaction<'a>>, DbError> {
    tx.execute("SELECT set_config('galley.clock_offset_ms', $1, true)", &[&clock.offset_ms().to_string()])?;
    Ok(Postgres::new(tx))
}

impl<C: GenericClient> Sql for Postgres<C> {
    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let sql = translated(sql)?;
        Ok(self.0.borrow_mut().execute(&*sql, &parameters(params))?)
    }

    fn query_all(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let sql = translated(sql)?;
        self.0.borrow_mut().query(&*sql, &parameters(params))?.iter().map(row).collect()
    }

    fn query_first(&self, sql: &str, params: &[Value]) -> Result<Option<Row>, DbError> {
        Ok(self.query_all(sql, params)?.into_iter().next())
    }

    fn now_text(&self) -> Result<String, DbError> {
        Ok(self.0.borrow_mut().query_one("SELECT galley_now()", &[])?.try_get(0)?)
    }
}

/// Connects a pool to `url` (`postgres://user:password@host:port/database`) and brings the schema
/// up to date (`db::migrate_postgres`).
pub fn open_pool(url: &str, max_connections: u32) -> Result<PostgresPool, DbError> {
    let config = postgres::Config::from_str(url).map_err(|e| DbError::Open(format!("[database] url: {e}")))?;
    let manager = PostgresConnectionManager::new(config, postgres::NoTls);
    let pool = r2d2::Pool::builder()
        .max_size(max_connections.max(1))
        .connection_timeout(std::time::Duration::from_secs(30))
        .build(manager)
        .map_err(|e| DbError::Open(format!("PostgreSQL: {e}")))?;
    crate::db::migrate_postgres::run(&mut *pool.get()?)?;
    Ok(pool)
}

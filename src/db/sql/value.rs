//! What crosses the SQL layer in either direction: an owned value of one of SQLite's five storage
//! classes, which PostgreSQL's column types map onto (`postgres.rs`). Queries take their
//! parameters as `&[Value]` (built with `values![…]`) and rows hand back `Value`s.
use super::super::DbError;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// Parameters of a statement: `values![id, name, None::<&str>]`.
#[macro_export]
macro_rules! values {
    ($($value:expr),* $(,)?) => {
        &[$($crate::db::sql::Value::from($value)),*] as &[$crate::db::sql::Value]
    };
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Integer(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Integer(v.into())
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Integer(v.into())
    }
}

/// Stored as 0 / 1, as the schema's flag columns are on both engines.
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Integer(v.into())
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Blob(v.to_vec())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Blob(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// A Rust type a column can be read as (`Row::get`). A mismatch is an error naming both sides,
/// never a silent conversion.
pub trait FromValue: Sized {
    fn from_value(value: Value) -> Result<Self, DbError>;
}

fn mismatch(wanted: &str, found: &Value) -> DbError {
    let found = match found {
        Value::Null => "NULL",
        Value::Integer(_) => "an integer",
        Value::Real(_) => "a real",
        Value::Text(_) => "text",
        Value::Blob(_) => "a blob",
    };
    DbError::Column(format!("expected {wanted}, found {found}"))
}

impl FromValue for Value {
    fn from_value(value: Value) -> Result<Self, DbError> {
        Ok(value)
    }
}

impl FromValue for i64 {
    fn from_value(value: Value) -> Result<Self, DbError> {
        match value {
            Value::Integer(v) => Ok(v),
            other => Err(mismatch("an integer", &other)),
        }
    }
}

impl FromValue for u64 {
    fn from_value(value: Value) -> Result<Self, DbError> {
        let v = i64::from_value(value)?;
        u64::try_from(v).map_err(|_| DbError::Column(format!("expected a non-negative integer, found {v}")))
    }
}

impl FromValue for u32 {
    fn from_value(value: Value) -> Result<Self, DbError> {
        let v = i64::from_value(value)?;
        u32::try_from(v).map_err(|_| DbError::Column(format!("expected a 32-bit unsigned integer, found {v}")))
    }
}

impl FromValue for bool {
    fn from_value(value: Value) -> Result<Self, DbError> {
        Ok(i64::from_value(value)? != 0)
    }
}

impl FromValue for f64 {
    fn from_value(value: Value) -> Result<Self, DbError> {
        match value {
            Value::Real(v) => Ok(v),
            // SQLite hands back a REAL column holding a whole number as an integer.
            #[allow(clippy::cast_precision_loss)]
            Value::Integer(v) => Ok(v as f64),
            other => Err(mismatch("a real", &other)),
        }
    }
}

impl FromValue for String {
    fn from_value(value: Value) -> Result<Self, DbError> {
        match value {
            Value::Text(v) => Ok(v),
            other => Err(mismatch("text", &other)),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: Value) -> Result<Self, DbError> {
        match value {
            Value::Blob(v) => Ok(v),
            other => Err(mismatch("a blob", &other)),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Self, DbError> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_it_was_given_and_names_a_mismatch() {
        assert_eq!(i64::from_value(Value::from(7_i32)).unwrap(), 7);
        assert_eq!(Option::<String>::from_value(Value::from(None::<&str>)).unwrap(), None);
        assert!(bool::from_value(Value::from(true)).unwrap());
        assert_eq!(Vec::<u8>::from_value(Value::from(&b"ab"[..])).unwrap(), b"ab");
        assert_eq!(
            String::from_value(Value::Integer(3)).unwrap_err().to_string(),
            "database column: expected text, found an integer"
        );
        assert_eq!(
            u64::from_value(Value::Integer(-1)).unwrap_err().to_string(),
            "database column: expected a non-negative integer, found -1"
        );
    }
}

//! Values from SQLite's storage classes to what PostgreSQL's column holds, and the canonical
//! encoding both sides' checksums are computed over.
//!
//! SQLite keeps whatever a row was given (an integer in a TEXT column stays an integer); the
//! schema's columns are typed on PostgreSQL, so a value is converted to its column's type
//! where that loses nothing, and refused otherwise with the table, column and key named. Flags
//! are 0/1 integers on both engines, times RFC 3339 text on both (`galley_now()`), blobs `bytea`:
//! the common case is the identity.
use super::plan::ColumnType;
use crate::db::sql::Value;

/// `value` as the PostgreSQL column of type `ty` stores it, or why it cannot be.
pub fn to_column(value: Value, ty: ColumnType) -> Result<Value, String> {
    Ok(match (ty, value) {
        (_, Value::Null) => Value::Null,
        (ColumnType::Integer | ColumnType::Bool, Value::Integer(v)) => Value::Integer(v),
        (ColumnType::Bool, Value::Text(t)) => match t.as_str() {
            "1" | "true" | "TRUE" => Value::Integer(1),
            "0" | "false" | "FALSE" => Value::Integer(0),
            _ => return Err(format!("'{t}' is not a boolean")),
        },
        (ColumnType::Integer, Value::Text(t)) => {
            Value::Integer(t.trim().parse().map_err(|_| format!("'{t}' is not an integer"))?)
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        (ColumnType::Integer, Value::Real(r)) if r.fract() == 0.0 && r.abs() < 9.0e18 => Value::Integer(r as i64),
        (ColumnType::Real, Value::Real(r)) => Value::Real(r),
        #[allow(clippy::cast_precision_loss)]
        (ColumnType::Real, Value::Integer(v)) => Value::Real(v as f64),
        (ColumnType::Text, Value::Text(t)) => text(t)?,
        (ColumnType::Text, Value::Integer(v)) => Value::Text(v.to_string()),
        (ColumnType::Text, Value::Real(r)) => Value::Text(r.to_string()),
        (ColumnType::Text, Value::Blob(b)) => {
            text(String::from_utf8(b).map_err(|_| "a blob that is not UTF-8 text".to_owned())?)?
        }
        (ColumnType::Blob, Value::Blob(b)) => Value::Blob(b),
        (ColumnType::Blob, Value::Text(t)) => Value::Blob(t.into_bytes()),
        (ty, other) => return Err(format!("{other:?} does not fit a {ty:?} column")),
    })
}

/// PostgreSQL's text cannot hold a NUL character; SQLite's can.
fn text(t: String) -> Result<Value, String> {
    if t.contains('\0') {
        return Err("text holding a NUL character, which PostgreSQL's text cannot store".to_owned());
    }
    Ok(Value::Text(t))
}

/// Appends one value to a row's canonical encoding: a tag, then (for all but NULL) the length
/// and the bytes, so that no two different rows encode alike.
pub fn encode(value: &Value, out: &mut Vec<u8>) {
    let (tag, bytes): (u8, std::borrow::Cow<'_, [u8]>) = match value {
        Value::Null => (0, (&[][..]).into()),
        Value::Integer(v) => (1, v.to_be_bytes().to_vec().into()),
        Value::Real(v) => (2, v.to_bits().to_be_bytes().to_vec().into()),
        Value::Text(t) => (3, t.as_bytes().into()),
        Value::Blob(b) => (4, b.as_slice().into()),
    };
    out.push(tag);
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(&bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_what_loses_nothing_and_names_what_does_not_fit() {
        assert_eq!(to_column(Value::Text("42".into()), ColumnType::Integer), Ok(Value::Integer(42)));
        assert_eq!(to_column(Value::Integer(7), ColumnType::Text), Ok(Value::Text("7".into())));
        assert_eq!(to_column(Value::Integer(1), ColumnType::Bool), Ok(Value::Integer(1)));
        assert_eq!(to_column(Value::Real(3.0), ColumnType::Integer), Ok(Value::Integer(3)));
        assert_eq!(to_column(Value::Text("x".into()), ColumnType::Blob), Ok(Value::Blob(b"x".to_vec())));
        assert_eq!(to_column(Value::Null, ColumnType::Blob), Ok(Value::Null));
        assert_eq!(to_column(Value::Text("abc".into()), ColumnType::Integer), Err("'abc' is not an integer".into()));
        assert!(to_column(Value::Text("a\0b".into()), ColumnType::Text).unwrap_err().contains("NUL"));
    }

    #[test]
    fn different_rows_encode_differently() {
        let row = |values: &[Value]| {
            let mut out = Vec::new();
            for v in values {
                encode(v, &mut out);
            }
            out
        };
        assert_ne!(
            row(&[Value::Text("ab".into()), Value::Text(String::new())]),
            row(&[Value::Text("a".into()), Value::Text("b".into())])
        );
        assert_ne!(row(&[Value::Null]), row(&[Value::Text(String::new())]));
        assert_ne!(row(&[Value::Integer(1)]), row(&[Value::Text("1".into())]));
    }
}

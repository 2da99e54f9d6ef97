//! One row of a result, owned: read by column position with the type the caller expects.
use super::value::{FromValue, Value};
use crate::db::DbError;

#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub(super) Vec<Value>);

impl Row {
    /// Column `index` (from 0) as a `T`; an error names the column when the type does not fit.
    pub fn get<T: FromValue>(&self, index: usize) -> Result<T, DbError> {
        let value = self.0.get(index).cloned().ok_or_else(|| DbError::Column(format!("no column {index}")))?;
        T::from_value(value).map_err(|e| match e {
            DbError::Column(why) => DbError::Column(format!("column {index}: {why}")),
            other => other,
        })
    }
}

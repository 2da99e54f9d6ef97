//! `package_versions.status` as a column: `VersionStatus` written as its text, and read back
//! refusing text that is not a status (a damaged or hand-edited row). Both the shared SQL layer's
//! `Value` and rusqlite's own traits (for the few statements still run on rusqlite directly).
use super::sql::{FromValue, Value};
use super::DbError;
use crate::domain::version_status::VersionStatus;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

fn parse(text: &str) -> Result<VersionStatus, String> {
    VersionStatus::parse(text).ok_or_else(|| format!("unknown version status '{text}'"))
}

impl From<VersionStatus> for Value {
    fn from(v: VersionStatus) -> Self {
        Value::Text(v.as_str().to_owned())
    }
}

impl FromValue for VersionStatus {
    fn from_value(value: Value) -> Result<Self, DbError> {
        parse(&String::from_value(value)?).map_err(DbError::Column)
    }
}

impl ToSql for VersionStatus {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for VersionStatus {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        parse(value.as_str()?).map_err(|why| FromSqlError::Other(why.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_round_trips_and_unknown_text_is_refused() {
        let v = Value::from(VersionStatus::Quarantined);
        assert_eq!(VersionStatus::from_value(v).unwrap(), VersionStatus::Quarantined);
        assert_eq!(
            VersionStatus::from_value(Value::Text("gone".into())).unwrap_err().to_string(),
            "database column: unknown version status 'gone'"
        );
    }
}

//! `package_versions.status` as a column: `VersionStatus` written as its text, and read back
//! refusing text that is not a status (a damaged or hand-edited row).
use crate::domain::version_status::VersionStatus;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

impl ToSql for VersionStatus {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for VersionStatus {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        VersionStatus::parse(text).ok_or_else(|| FromSqlError::Other(format!("unknown version status '{text}'").into()))
    }
}

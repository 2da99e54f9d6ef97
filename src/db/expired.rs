//! Rows that expire: one line per (table, expiry column).
use super::sql::Sql;
use super::DbError;
use crate::values;

pub const EXPIRING: &[(&str, &str)] =
    &[("owner_invitations", "expires_at"), ("sessions", "expires_at"), ("email_tokens", "expires_at")];

/// Deletes rows whose expiry is before `now` (RFC 3339 text); returns (table, rows deleted).
pub fn purge(db: &dyn Sql, now: &str) -> Result<Vec<(&'static str, u64)>, DbError> {
    EXPIRING
        .iter()
        .map(|(table, column)| {
            // Names come from the constant above, never from input.
            let n = db.execute(&format!("DELETE FROM {table} WHERE {column} < ?1"), values![now])?;
            Ok((*table, n))
        })
        .collect()
}

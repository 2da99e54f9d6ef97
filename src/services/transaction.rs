//! One write transaction per use case: a service whose statements must commit together runs
//! them here, and a refusal decided half-way (an `AppError`) rolls back what came before it.
use crate::db::DbError;
use crate::error::AppError;
use crate::state::AppState;
use rusqlite::{Transaction, TransactionBehavior};

/// Runs `f` in an IMMEDIATE transaction on a pooled connection and commits when it succeeds.
/// IMMEDIATE takes the write lock up front (as `db::write` does), so concurrent writers queue on
/// the busy handler instead of failing with `SQLITE_BUSY` on lock upgrade.
pub(crate) fn write<T>(
    state: &AppState,
    f: impl FnOnce(&Transaction<'_>) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let mut conn = state.conn()?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(DbError::from)?;
    let value = f(&tx)?;
    tx.commit().map_err(DbError::from)?;
    Ok(value)
}

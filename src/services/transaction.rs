//! The one way a service runs several writes that must land together: a pooled connection, an
//! IMMEDIATE transaction (the write lock is taken at the start, so two writers never deadlock
//! upgrading a read), committed when the work succeeds and rolled back when it fails.
use crate::db::DbError;
use crate::error::AppError;
use crate::state::AppState;
use rusqlite::{Transaction, TransactionBehavior};

/// Runs `work` inside one transaction of its own; an `Err` from `work` leaves nothing behind.
pub(crate) fn in_transaction<T>(
    state: &AppState,
    work: impl FnOnce(&Transaction<'_>) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let mut conn = state.conn()?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(DbError::from)?;
    let value = work(&tx)?;
    tx.commit().map_err(DbError::from)?;
    Ok(value)
}

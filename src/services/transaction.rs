//! The one way a service runs several writes that must land together: a pooled connection, a
//! transaction that takes the write lock at its start (so two writers never deadlock upgrading a
//! read), committed when the work succeeds and rolled back when it fails. The work sees the
//! transaction as `&dyn Sql`, the same on either engine.
use crate::db::sql::Sql;
use crate::error::AppError;
use crate::state::AppState;

/// Runs `work` inside one transaction of its own; an `Err` from `work` leaves nothing behind.
pub(crate) fn in_transaction<T>(
    state: &AppState,
    work: impl FnOnce(&dyn Sql) -> Result<T, AppError>,
) -> Result<T, AppError> {
    state.conn()?.transaction(work)
}

//! How failures of the database adapter read to a client: a full disk is a 507, a lock held too
//! long or a read-only file a 503 with `Retry-After`, anything else an internal error.
use super::DbError;
use crate::error::{disk_full, AppError, READ_ONLY};

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        use rusqlite::ffi::ErrorCode;
        let code = match &e {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => Some(f.code),
            DbError::Pool(_) => Some(ErrorCode::DatabaseBusy),
            _ => None,
        };
        match code {
            Some(ErrorCode::DiskFull) => disk_full(&e),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                tracing::warn!(error = %e, "the database stayed locked longer than a request waits");
                AppError::database_busy()
            }
            Some(ErrorCode::ReadOnly) => {
                tracing::error!(error = %e, "the database is read-only");
                AppError::unavailable(READ_ONLY)
            }
            _ => AppError::Internal(e.into()),
        }
    }
}

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> Self {
        AppError::from(DbError::Pool(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(code: std::ffi::c_int) -> DbError {
        DbError::Sqlite(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None))
    }

    #[test]
    fn full_disks_held_locks_and_read_only_files_have_their_own_variant() {
        assert!(matches!(AppError::from(sqlite(rusqlite::ffi::SQLITE_FULL)), AppError::InsufficientStorage(_)));
        let busy = AppError::from(sqlite(rusqlite::ffi::SQLITE_BUSY));
        assert!(matches!(busy, AppError::Unavailable { retry_after: 5, .. }));
        assert_eq!(busy.client_message(), crate::error::DB_BUSY);
        assert!(matches!(AppError::from(sqlite(rusqlite::ffi::SQLITE_READONLY)), AppError::Unavailable { .. }));
        assert!(matches!(AppError::from(sqlite(rusqlite::ffi::SQLITE_CORRUPT)), AppError::Internal(_)));
    }
}

//! `AppError`: what went wrong, in the words a client is told. Every layer returns it; only
//! `http::error_response` turns it into a status code and a response, so nothing below `http`
//! knows about HTTP. Failures of the database adapter become `AppError`s in `db::error_mapping`.

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    /// Credentials are missing. `basic_realm` asks the client for HTTP Basic credentials.
    #[error("{message}")]
    Unauthorized { message: String, basic_realm: bool },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The thing existed but is no longer usable (an expired invitation link).
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    TooLarge(String),
    /// The client sent the request body too slowly (an upload's idle or total timeout).
    #[error("{0}")]
    Timeout(String),
    /// Sent with `Retry-After`.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after_seconds: u64 },
    /// The data folder's file system is full: nothing was stored (507).
    #[error("{0}")]
    InsufficientStorage(String),
    /// The server cannot take the request now (database locked, data folder read-only or gone);
    /// the client may retry after `retry_after` seconds (503).
    #[error("{message}")]
    Unavailable { message: String, retry_after: u32 },
    /// Something broke on our side; the detail is logged, the client sees a generic sentence.
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(e.into())
    }

    /// A 400 from a rule's lowercase message (`domain/` style): capitalised, with a full stop.
    pub fn bad_input(rule_message: impl AsRef<str>) -> Self {
        let text = rule_message.as_ref();
        let mut chars = text.chars();
        let sentence = chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default();
        AppError::BadRequest(format!("{}.", sentence.trim_end_matches('.')))
    }

    pub fn client_message(&self) -> String {
        match self {
            AppError::Internal(_) => "The server failed to process the request; the error has been logged.".into(),
            other => other.to_string(),
        }
    }
}

/// What a client is told when the disk filled up under a write.
pub const DISK_FULL: &str =
    "The server is out of disk space, so nothing was stored. Try again after an administrator has freed space.";
/// What a client is told when another writer held the database longer than a request may wait.
pub(crate) const DB_BUSY: &str = "The server's database is busy with another change; try again in a few seconds.";
pub(crate) const READ_ONLY: &str =
    "The server cannot store anything now: its data folder is read-only. Try again after an administrator has fixed it.";

impl AppError {
    /// 503: another writer held the database longer than a request waits.
    pub fn database_busy() -> Self {
        AppError::Unavailable { message: DB_BUSY.into(), retry_after: 5 }
    }

    /// 503 with a `Retry-After`: a condition an administrator or time will clear.
    pub fn unavailable(message: impl Into<String>) -> Self {
        AppError::Unavailable { message: message.into(), retry_after: 30 }
    }
}

pub(crate) fn disk_full(e: &dyn std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "the data folder's file system is full; the write was refused");
    AppError::InsufficientStorage(DISK_FULL.into())
}

/// `ENOSPC` and `EDQUOT`: no room for the write, whatever the std version calls the kind.
pub fn is_disk_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull || matches!(e.raw_os_error(), Some(28 | 122))
}

/// A stored file whose bytes fail their recorded SHA-512 (an object store's copy was changed or
/// damaged): carried inside an `io::Error` so that every reader refuses it the same way.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CorruptObject(pub String);

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        if let Some(corrupt) = e.get_ref().and_then(|inner| inner.downcast_ref::<CorruptObject>()) {
            return AppError::unavailable(corrupt.0.clone());
        }
        if is_disk_full(&e) {
            return disk_full(&e);
        }
        if e.kind() == std::io::ErrorKind::ReadOnlyFilesystem || e.raw_os_error() == Some(30) {
            tracing::error!(error = %e, "the data folder is read-only");
            return AppError::unavailable(READ_ONLY);
        }
        AppError::Internal(e.into())
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_detail() {
        let e = AppError::internal(anyhow::anyhow!("disk on fire at /secret/path"));
        assert!(!e.client_message().contains("/secret/path"));
    }

    #[test]
    fn full_and_read_only_disks_have_their_own_variant() {
        let full = AppError::from(std::io::Error::from_raw_os_error(28));
        assert!(matches!(full, AppError::InsufficientStorage(_)));
        assert_eq!(full.client_message(), DISK_FULL);
        let read_only = AppError::from(std::io::Error::from_raw_os_error(30));
        assert!(matches!(read_only, AppError::Unavailable { .. }));
    }
}

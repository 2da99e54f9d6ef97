//! `AppError`: the one place that maps failures to status codes and client messages.
//!
//! The NuGet client prints the HTTP reason phrase of a failed push ("Response status code does not
//! indicate success: 403 (...)"), so the message also goes into the reason phrase, as nuget.org does.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

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
const DB_BUSY: &str = "The server's database is busy with another change; try again in a few seconds.";
const READ_ONLY: &str =
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

impl From<crate::db::DbError> for AppError {
    fn from(e: crate::db::DbError) -> Self {
        use rusqlite::ffi::ErrorCode;
        let code = match &e {
            crate::db::DbError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => Some(f.code),
            crate::db::DbError::Pool(_) => Some(ErrorCode::DatabaseBusy),
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

fn disk_full(e: &dyn std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "the data folder's file system is full; the write was refused");
    AppError::InsufficientStorage(DISK_FULL.into())
}

/// `ENOSPC` and `EDQUOT`: no room for the write, whatever the std version calls the kind.
pub fn is_disk_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull || matches!(e.raw_os_error(), Some(28 | 122))
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
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

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> Self {
        AppError::from(crate::db::DbError::Pool(e))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(e.into())
    }
}

/// Reason phrases must be `'static` in actix; distinct messages are interned once and bounded in
/// number so a stream of distinct errors cannot grow memory without limit.
fn reason_phrase(message: &str) -> Option<&'static str> {
    const MAX_INTERNED: usize = 4096;
    static INTERNED: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let clean: String =
        message.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).take(400).collect();
    let mut set = INTERNED.get_or_init(Default::default).lock().ok()?;
    if let Some(existing) = set.get(clean.as_str()) {
        return Some(existing);
    }
    if set.len() >= MAX_INTERNED {
        return None;
    }
    let leaked: &'static str = Box::leak(clean.into_boxed_str());
    set.insert(leaked);
    Some(leaked)
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::InsufficientStorage(_) => StatusCode::INSUFFICIENT_STORAGE,
            AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(e) = self {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
        let message = self.client_message();
        let mut builder = HttpResponse::build(self.status_code());
        if let AppError::Unauthorized { basic_realm: true, .. } = self {
            builder.insert_header(("WWW-Authenticate", "Basic realm=\"Galley\""));
        }
        if let AppError::TooManyRequests { retry_after_seconds, .. } = self {
            builder.insert_header(("Retry-After", retry_after_seconds.to_string()));
        }
        if let AppError::Unavailable { retry_after, .. } = self {
            builder.insert_header(("Retry-After", retry_after.to_string()));
        }
        builder.content_type("text/plain; charset=utf-8");
        let mut response = builder.body(message.clone());
        if let Some(reason) = reason_phrase(&message) {
            response.head_mut().reason = Some(reason);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_detail() {
        let e = AppError::internal(anyhow::anyhow!("disk on fire at /secret/path"));
        assert_eq!(e.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.client_message().contains("/secret/path"));
    }

    #[test]
    fn full_disks_and_held_locks_have_their_own_status() {
        let full = AppError::from(std::io::Error::from_raw_os_error(28));
        assert_eq!(full.status_code(), StatusCode::INSUFFICIENT_STORAGE);
        assert_eq!(full.client_message(), DISK_FULL);
        let sqlite =
            |code| crate::db::DbError::Sqlite(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None));
        assert_eq!(AppError::from(sqlite(rusqlite::ffi::SQLITE_FULL)).status_code(), StatusCode::INSUFFICIENT_STORAGE);
        let busy = AppError::from(sqlite(rusqlite::ffi::SQLITE_BUSY));
        assert_eq!(busy.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        let response = busy.error_response();
        assert_eq!(response.headers().get("Retry-After").unwrap(), "5");
        assert_eq!(busy.client_message(), DB_BUSY);
        let read_only = AppError::from(std::io::Error::from_raw_os_error(30));
        assert_eq!(read_only.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            AppError::from(sqlite(rusqlite::ffi::SQLITE_CORRUPT)).status_code(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn reason_phrases_are_sanitised_and_interned() {
        let a = reason_phrase("bad\r\nthing").unwrap();
        assert_eq!(a, "bad??thing");
        assert!(std::ptr::eq(a, reason_phrase("bad\r\nthing").unwrap()));
    }
}

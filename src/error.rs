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

impl From<crate::db::DbError> for AppError {
    fn from(e: crate::db::DbError) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> Self {
        AppError::Internal(e.into())
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
    fn reason_phrases_are_sanitised_and_interned() {
        let a = reason_phrase("bad\r\nthing").unwrap();
        assert_eq!(a, "bad??thing");
        assert!(std::ptr::eq(a, reason_phrase("bad\r\nthing").unwrap()));
    }
}

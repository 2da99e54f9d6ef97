//! The one place that maps an `AppError` to a status code and a response.
//!
//! The NuGet client prints the HTTP reason phrase of a failed push ("Response status code does not
//! indicate success: 403 (...)"), so the message also goes into the reason phrase, as nuget.org does.
use crate::error::AppError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

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
    fn each_failure_has_its_status_and_headers() {
        let internal = AppError::internal(anyhow::anyhow!("disk on fire at /secret/path"));
        assert_eq!(internal.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        let full = AppError::from(std::io::Error::from_raw_os_error(28));
        assert_eq!(full.status_code(), StatusCode::INSUFFICIENT_STORAGE);
        let busy = AppError::database_busy();
        assert_eq!(busy.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.error_response().headers().get("Retry-After").unwrap(), "5");
        let basic = AppError::Unauthorized { message: "sign in".into(), basic_realm: true };
        assert_eq!(basic.error_response().headers().get("WWW-Authenticate").unwrap(), "Basic realm=\"Galley\"");
    }

    #[test]
    fn reason_phrases_are_sanitised_and_interned() {
        let a = reason_phrase("bad\r\nthing").unwrap();
        assert_eq!(a, "bad??thing");
        assert!(std::ptr::eq(a, reason_phrase("bad\r\nthing").unwrap()));
    }
}

//! `GET /metrics`: the Prometheus text exposition of `crate::metrics`. Off (404) unless
//! `[metrics] enabled`; with `[metrics] token` set, a scrape needs `Authorization: Bearer TOKEN`.
use crate::error::AppError;
use crate::http::call::Call;
use crate::services::metrics_snapshot;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub async fn metrics(req: HttpRequest, call: Call) -> Result<HttpResponse, AppError> {
    let state = call.state();
    let config = &state.config.metrics;
    if !config.enabled {
        return Err(AppError::NotFound("Metrics are off; set [metrics] enabled = true to serve them.".into()));
    }
    if !config.token.is_empty() && !bearer_matches(&state.server_key, &req, &config.token) {
        let refusal = AppError::Unauthorized {
            message: "This scrape needs the header 'Authorization: Bearer <[metrics] token>'.".into(),
            basic_realm: false,
        };
        let mut response = refusal.error_response();
        response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        return Ok(response);
    }
    call.run(|state, _| {
        metrics_snapshot::refresh(state);
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(crate::metrics::render()))
}

/// Compares MACs of the two tokens: constant time, whatever their lengths.
fn bearer_matches(server_key: &[u8], req: &HttpRequest, expected: &str) -> bool {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map_or("", |(_, token)| token.trim());
    let mac = |text: &str| {
        let mut mac = Hmac::<Sha256>::new_from_slice(server_key).expect("HMAC accepts any key length");
        mac.update(text.as_bytes());
        mac
    };
    let expected = mac(expected).finalize().into_bytes();
    mac(presented).verify_slice(&expected).is_ok()
}

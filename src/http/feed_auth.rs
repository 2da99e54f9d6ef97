//! Guards the read routes of a private feed with HTTP Basic credentials (`[feed] require_auth`),
//! answering 401 with `WWW-Authenticate: Basic` so `packageSourceCredentials` in NuGet.Config work.
use crate::services::{blocking, feed_access};
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};
use base64::Engine;

/// Feed and download routes; publishing is authorized by its API key instead. Every v2 read is a
/// GET or HEAD; other methods under `/api/v2` are pushes, deletes and relists (also at the feed
/// URL itself, where nuget.exe sends them for a `<base>/api/v2/` source).
fn is_feed_read(req: &ServiceRequest) -> bool {
    let path = req.path();
    let is_publish_write = path.starts_with("/api/v2") && req.method() != Method::GET && req.method() != Method::HEAD;
    (path.starts_with("/v3/") || path.starts_with("/api/v2")) && !is_publish_write
}

/// Portal pages show the same metadata and READMEs as the feed, so a private feed keeps them
/// private too (the browser asks for the same credentials). The CSS, JS and images stay open;
/// `/api/` and `/v3/` are decided by `is_feed_read` alone.
fn is_portal_page(req: &ServiceRequest) -> bool {
    let path = req.path();
    !["/api/", "/v3/", "/static/"].iter().any(|p| path.starts_with(p)) && path != "/health"
}

fn basic_credentials(req: &ServiceRequest) -> Option<(String, String)> {
    let header = req.headers().get(actix_web::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

pub async fn require_feed_credentials(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Cloned only for a guarded request: this runs before every restore request.
    let state = req
        .app_data::<web::Data<AppState>>()
        .filter(|d| d.config.feed.require_auth && (is_feed_read(&req) || is_portal_page(&req)))
        .cloned();
    let Some(state) = state else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let refuse = |req: ServiceRequest, e: &crate::error::AppError| req.into_response(e.error_response());
    let Some((user, password)) = basic_credentials(&req) else {
        return Ok(refuse(req, &feed_access::unauthorized()));
    };
    if !feed_access::is_remembered(&state, &user, &password) {
        if let Err(e) = blocking(move || feed_access::verify(&state, &user, &password)).await {
            return Ok(refuse(req, &e));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

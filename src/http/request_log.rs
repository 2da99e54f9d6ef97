//! One log line per request (method, route pattern, path, status, time, client address, user)
//! and the request metrics. The user is the account name the credential checks resolved
//! (`record_user`): never the key, password or cookie itself. The query string is left out: it
//! carries emailed tokens (`?token=`).
use crate::metrics::{self, RouteClass};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};
use std::time::Instant;

/// The account a request acted as, set by whichever credential check succeeded.
#[derive(Clone)]
struct User(String);

/// Records the account name behind this request for its log line.
pub fn record_user(req: &HttpRequest, name: &str) {
    req.extensions_mut().insert(User(name.to_owned()));
}

pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let class = RouteClass::of(req.path(), matches!(*req.method(), Method::GET | Method::HEAD));
    let response = next.call(req).await?;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    metrics::request(class, status, elapsed);
    // The restore path runs at ~100k requests/s: build the line only when it will be written.
    if tracing::enabled!(target: "galley::request", tracing::Level::INFO) {
        let req = response.request();
        let client = super::client_address::of(req).map(|ip| ip.to_string()).unwrap_or_default();
        let user = req.extensions().get::<User>().map(|u| u.0.clone()).unwrap_or_default();
        tracing::info!(
            target: "galley::request",
            method = %req.method(),
            route = req.match_pattern().as_deref().unwrap_or("-"),
            path = req.path(),
            status,
            ms = (elapsed.as_secs_f64() * 10_000.0).round() / 10.0,
            client = %client,
            user = %user,
            "request"
        );
    }
    Ok(response)
}

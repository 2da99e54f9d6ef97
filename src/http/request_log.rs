//! One log line per request: method, path, status, time.
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use std::time::Instant;

pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // The restore path runs at ~100k requests/s: build the line only when it will be written.
    if !tracing::enabled!(target: "galley::request", tracing::Level::INFO) {
        return next.call(req).await;
    }
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path_and_query().map_or_else(|| req.path().to_owned(), ToString::to_string);
    let response = next.call(req).await?;
    tracing::info!(
        target: "galley::request",
        "{} {} {} {:.1}ms",
        method,
        path,
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(response)
}

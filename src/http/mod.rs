//! The HTTP faces. Handlers extract, call one service, map the outcome; no SQL, no zip parsing.
pub mod api;
pub mod auth;
pub mod call;
pub mod client_address;
pub mod error_response;
pub mod feed_auth;
pub mod feed_v2;
pub mod feed_v3;
pub mod files;
pub mod health;
pub mod intake;
pub mod metrics;
pub mod package_path;
pub mod portal;
pub mod publish;
pub mod request_log;
pub mod session;
pub mod sliced_body;
pub mod symbols;

use actix_web::web;

/// The one table of routes, shared by `galley serve` and the tests.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // Routes are tried in order and each pattern with a `{segment}` is a regex match: the feeds
    // (restore traffic) come first, each behind one prefix comparison. The v2 scope takes GET and
    // HEAD only; publishing under `/api/v2` falls through to the publish routes.
    cfg.service(feed_v3::scope())
        .service(feed_v2::scope())
        .route("/health", web::get().to(health::health))
        .route("/metrics", web::get().to(metrics::metrics))
        .configure(publish::configure)
        .configure(symbols::configure)
        .configure(api::configure)
        // Last: the portal's scope claims every path the others did not.
        .configure(portal::configure);
}

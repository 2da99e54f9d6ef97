//! The JSON API under `/api/` for the portal and for automation: accounts, API keys, owners,
//! organizations, support requests, audit. Sessions authenticate it (see `http::session` for
//! the CSRF rule); errors are the plain-text messages of `AppError`.
pub mod account;
pub mod admin;
pub mod admin_advisories;
pub mod admin_users;
pub mod contact;
pub mod deprecation;
pub mod keys;
pub mod orgs;
pub mod owners;

use crate::error::AppError;
use actix_web::error::JsonPayloadError;
use actix_web::web;

/// The routes of this face; mounted by `http::configure`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(account::scope())
        .service(keys::scope())
        // Before the owners' scope, whose `/api/packages/{id}` prefix would claim its paths.
        .service(deprecation::scope())
        .service(owners::scope())
        .service(orgs::scope())
        .service(admin::scope())
        .service(contact::resource());
}

/// JSON bodies are small; a bad one gets a 400 that says what is wrong. Each scope of this face
/// installs it, so other faces keep actix's defaults.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(64 * 1024).error_handler(|err, _req| {
        let message = match &err {
            JsonPayloadError::ContentType => {
                "Send the request body as JSON, with Content-Type: application/json.".to_owned()
            }
            JsonPayloadError::Deserialize(e) if e.is_data() => {
                format!("The request body does not have the expected fields: {e}.")
            }
            JsonPayloadError::Deserialize(e) => {
                format!("The request body is not valid JSON: {e}.")
            }
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                "The request body is larger than 64 KB.".to_owned()
            }
            other => format!("The request body could not be read: {other}."),
        };
        AppError::BadRequest(message).into()
    })
}

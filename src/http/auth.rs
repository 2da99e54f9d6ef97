//! Credentials on requests: the `X-NuGet-ApiKey` header for publishing.
use crate::error::AppError;
use crate::services::{blocking, keys, permissions::Principal};
use crate::state::AppState;
use actix_web::HttpRequest;

pub const API_KEY_HEADER: &str = "X-NuGet-ApiKey";

/// The principal behind the request's API key: 401 when none is sent, 403 when it is refused.
pub async fn api_key_principal(req: &HttpRequest, state: &AppState) -> Result<Principal, AppError> {
    let key = req
        .headers()
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| AppError::Unauthorized {
            message: "An API key is required: pass it with -ApiKey or store it with 'nuget setApiKey'.".into(),
            basic_realm: false,
        })?
        .to_owned();
    let state = state.clone();
    let ip = client_ip(req);
    blocking(move || {
        // Guessing keys counts against the caller's address like guessing passwords does.
        let attempt = state.logins.attempt(None, ip.as_deref());
        state.logins.refuse_if_exhausted(&attempt)?;
        let outcome = keys::authenticate(&state, &key);
        if outcome.is_err() {
            state.logins.record_failure(&attempt, std::time::Instant::now());
        }
        outcome
    })
    .await
    .inspect(|principal| super::request_log::record_user(req, &principal.username))
}

/// The client address for rate limits and the audit log (see `client_address` for the proxy rule).
pub fn client_ip(req: &HttpRequest) -> Option<String> {
    super::client_address::of(req).map(|ip| ip.to_string())
}

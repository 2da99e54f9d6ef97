//! The portal's counterpart of `http::call::Call`: run one service call as the signed-in account
//! (its principal, the caller's address by the trusted-proxy rule) off the async executor, so a
//! form handler reads: check the CSRF token, extract, `run_as(…)`, redirect or render.
use super::viewer::Account;
use crate::error::AppError;
use crate::http::auth::client_ip;
use crate::services::blocking;
use crate::services::permissions::Principal;
use crate::state::AppState;
use actix_web::HttpRequest;

pub async fn run_as<T: Send + 'static>(
    req: &HttpRequest,
    state: &AppState,
    account: &Account,
    service: impl FnOnce(&AppState, &Principal, Option<&str>) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let (st, principal, ip) = (state.clone(), account.session.principal.clone(), client_ip(req));
    blocking(move || service(&st, &principal, ip.as_deref())).await
}

//! Guards the read routes of a private feed with HTTP Basic credentials (`[feed] require_auth`),
//! answering 401 with `WWW-Authenticate: Basic` so `packageSourceCredentials` in NuGet.Config work.
//! In private mode every JSON API route needs credentials too (a session or Basic), except the few
//! that exist to obtain them (`ANONYMOUS_API`): nothing, not even which ids exist, is visible to an
//! anonymous caller. The portal's sign-in pages stay open (`is_sign_in_page`) and its other pages
//! take a session as well as Basic credentials, so that people who sign in with a directory or an
//! `[[oidc]]` provider (and have no password to type into a Basic prompt) can use the portal.
use crate::http::call::Call;
use crate::services::feed_access;
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};
use base64::Engine;

/// Feed, download and symbol-server routes; publishing is authorized by its API key instead. Every v2 read is a
/// GET or HEAD; other methods under `/api/v2` are pushes, deletes and relists (also at the feed
/// URL itself, where nuget.exe sends them for a `<base>/api/v2/` source).
fn is_feed_read(req: &ServiceRequest) -> bool {
    let path = req.path();
    let is_publish_write = path.starts_with("/api/v2") && req.method() != Method::GET && req.method() != Method::HEAD;
    (path.starts_with("/v3/") || path.starts_with("/api/v2") || path.starts_with("/symbols/")) && !is_publish_write
}

/// Portal pages show the same metadata and READMEs as the feed, so a private feed keeps them
/// private too (the browser asks for the same credentials). The CSS, JS and images stay open;
/// `/api/` and `/v3/` are decided by `is_feed_read` alone.
fn is_portal_page(req: &ServiceRequest) -> bool {
    let path = req.path();
    // `/metrics` has its own token (`[metrics] token`); Prometheus sends no Basic credentials.
    !["/api/", "/v3/", "/static/", "/symbols/"].iter().any(|p| path.starts_with(p))
        && path != "/health"
        && path != "/metrics"
        && !is_sign_in_page(path)
}

/// The portal pages a signed-out visitor needs in order to sign in at all: the sign-in, register
/// and two-factor forms, an `[[oidc]]` provider's start and callback, and the emailed links (whose
/// forms carry their own single-use token). What each page allows is decided by its service, as on
/// a public feed (registration, for one, follows `[accounts] private_feed_registration`).
fn is_sign_in_page(path: &str) -> bool {
    const PAGES: [&str; 6] = [
        "/users/account/LogOn",
        "/users/account/Register",
        "/users/account/TwoFactor",
        "/users/account/ForgotPassword",
        "/account/reset-password",
        "/account/confirm-email",
    ];
    PAGES.contains(&path) || path.starts_with("/users/account/oidc/")
}

/// The JSON API routes an anonymous caller needs in order to get credentials at all.
pub const ANONYMOUS_API: [&str; 5] = [
    "/api/account/signin",
    "/api/account/register",
    "/api/account/password-reset",
    "/api/account/password-reset/complete",
    "/api/account/confirm-email",
];

/// `/api/…` outside the publish routes (authorized by their API key) and `ANONYMOUS_API`. A
/// deprecation sent with an API key is authorized by that key, like an unlist.
fn is_private_api(req: &ServiceRequest) -> bool {
    let path = req.path().trim_end_matches('/');
    let keyed_deprecation =
        path.ends_with("/deprecation") && req.headers().contains_key(crate::http::auth::API_KEY_HEADER);
    path.starts_with("/api/") && !path.starts_with("/api/v2") && !ANONYMOUS_API.contains(&path) && !keyed_deprecation
}

/// A session cookie that `feed_access::session_grants` accepts (checked here, not left to the
/// handler, because some handlers also answer anonymous callers on a public feed).
async fn has_session(req: &ServiceRequest, call: &Call, shows_packages: bool) -> Result<bool, crate::error::AppError> {
    let Some(token) = req.cookie(crate::http::session::COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(false);
    };
    call.run(move |state, _| feed_access::session_grants(state, &token, shows_packages)).await
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
    // Extracted only for a guarded request: this runs before every restore request.
    let guarded = req.app_data::<web::Data<AppState>>().is_some_and(|d| {
        d.config.feed.require_auth && (is_feed_read(&req) || is_portal_page(&req) || is_private_api(&req))
    });
    if !guarded {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let refuse = |req: ServiceRequest, e: &crate::error::AppError| req.into_response(e.error_response());
    let call = match Call::of(req.request()) {
        Ok(call) => call,
        Err(e) => return Ok(refuse(req, &e)),
    };
    let state = call.state();
    if state.feed_access.stored_epoch_due() {
        if let Err(e) = call.run(|state, _| feed_access::refresh_stored_epoch(state)).await {
            return Ok(refuse(req, &e));
        }
    }
    // A browser's session counts everywhere (the portal's download links, too); NuGet clients
    // send no cookie, so a restore never pays for the session lookup.
    let portal_page = is_portal_page(&req);
    match has_session(&req, &call, !is_private_api(&req)).await {
        Ok(true) => return Ok(next.call(req).await?.map_into_boxed_body()),
        Ok(false) => {}
        Err(e) => return Ok(refuse(req, &e)),
    }
    let Some((user, password)) = basic_credentials(&req) else {
        let refusal = if portal_page {
            feed_access::unauthorized_page(&state.urls.portal_sign_in_page())
        } else {
            feed_access::unauthorized()
        };
        return Ok(refuse(req, &refusal));
    };
    if !feed_access::is_remembered(state, &user, &password) {
        let name = user.clone();
        if let Err(e) = call.run(move |state, ip| feed_access::verify(state, &name, &password, ip)).await {
            return Ok(refuse(req, &e));
        }
    }
    crate::http::request_log::record_user(req.request(), &user);
    Ok(next.call(req).await?.map_into_boxed_body())
}

//! Session extractors for the JSON API: `SessionUser`, `AdminUser`, the admin-only scope guard and
//! the session cookie (the portal's own extractor is `http::portal::viewer::Account`).
//!
//! CSRF decision: the session cookie is `SameSite=Lax` and `HttpOnly`, and every request that
//! changes something (POST, PUT, PATCH, DELETE) with that cookie must also carry the header
//! `X-Galley-Csrf` holding the session's CSRF token: an HMAC of the session token under the server
//! key, returned by sign-in and by `GET /api/account`. Another site can make a browser send the
//! cookie (top-level form posts), but it cannot add a custom header without a CORS preflight,
//! which Galley never grants, and it cannot read the token. A request whose header is missing or
//! wrong is refused with 403 (or treated as signed out where signing in is optional, as on
//! `/contact`). HTML forms of the portal send the same token as the hidden field `csrf`, checked in
//! one place: `http::portal::viewer::Account::check_csrf`.
use crate::error::AppError;
use crate::services::sessions::{self, Session};
use crate::services::{blocking, sessions::SignedIn};
use crate::state::AppState;
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

pub const COOKIE: &str = "galley_session";
pub const CSRF_HEADER: &str = "X-Galley-Csrf";

/// A signed-in user (and, for unsafe methods, a request carrying the session's CSRF token).
pub struct SessionUser(pub Session);

/// A signed-in administrator.
pub struct AdminUser(pub Session);

fn unauthorized() -> AppError {
    AppError::Unauthorized {
        message: "Sign in first (POST /api/account/signin); this needs a session.".into(),
        basic_realm: false,
    }
}

async fn session_of(req: &HttpRequest) -> Result<Session, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("no app state")))?
        .get_ref()
        .clone();
    let token = req.cookie(COOKIE).map(|c| c.value().to_owned()).filter(|t| !t.is_empty()).ok_or_else(unauthorized)?;
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method {
        let presented = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if !sessions::csrf_matches(&state.server_key, &token, presented) {
            return Err(AppError::Forbidden(format!(
                "This request needs the {CSRF_HEADER} header with the session's CSRF token (returned by sign-in and GET /api/account)."
            )));
        }
    }
    let session = blocking(move || sessions::resolve(&state, &token)).await?.ok_or_else(unauthorized)?;
    super::request_log::record_user(req, &session.user.username);
    Ok(session)
}

impl FromRequest for SessionUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { session_of(&req).await.map(SessionUser) })
    }
}

impl FromRequest for AdminUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let session = session_of(&req).await?;
            if session.user.is_admin {
                Ok(AdminUser(session))
            } else {
                Err(AppError::Forbidden("Only administrators may do this.".into()))
            }
        })
    }
}

/// The session cookie: `HttpOnly`, `SameSite=Lax`, `Secure` when the request came over https, scoped to
/// the base path (a reverse-proxy prefix).
pub fn session_cookie(state: &AppState, req: &HttpRequest, signed_in: &SignedIn) -> Cookie<'static> {
    Cookie::build(COOKIE, signed_in.token.clone())
        .path(state.urls.base_path().to_owned())
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(super::client_address::is_https(req))
        .max_age(time::Duration::days(i64::from(signed_in.max_age_days)))
        .finish()
}

/// A cookie that makes the browser forget the session.
pub fn removal_cookie(state: &AppState, req: &HttpRequest) -> Cookie<'static> {
    let mut cookie = Cookie::build(COOKIE, "")
        .path(state.urls.base_path().to_owned())
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(super::client_address::is_https(req))
        .finish();
    cookie.make_removal();
    cookie
}

/// Refuses a non-administrator before anything else of the request is read. Extractors of one
/// handler run side by side, so without this a JSON body could be judged (400) before the caller
/// (403), telling a stranger what the body of an admin route looks like.
pub async fn require_admin(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use actix_web::ResponseError;
    if let Err(e) = session_of(req.request()).await.and_then(|session| {
        if session.user.is_admin {
            Ok(())
        } else {
            Err(AppError::Forbidden("Only administrators may do this.".into()))
        }
    }) {
        return Ok(req.into_response(e.error_response()));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

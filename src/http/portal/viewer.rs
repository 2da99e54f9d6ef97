//! Who is looking at a portal page. The session cookie is resolved once per request by a
//! middleware, so the layout (header menu) and the handlers read the same answer.
//!
//! CSRF for HTML forms: the session's token (the same HMAC as the API's `X-Galley-Csrf` header,
//! see `http::session`) travels as the hidden field `csrf`; `Account::check_csrf` verifies it.
use super::forms;
use crate::domain::token;
use crate::error::AppError;
use crate::http::call::Call;
use crate::http::session::COOKIE;
use crate::services::blocking;
use crate::services::sessions::{self, Session};
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use std::future::{ready, Ready};

/// The signed-in visitor of a portal request, with the cookie value the CSRF token derives from.
#[derive(Clone)]
pub struct Account {
    pub session: Session,
    token: String,
}

impl Account {
    /// The visitor, if signed in.
    pub fn of(req: &HttpRequest) -> Option<Account> {
        req.extensions().get::<Account>().cloned()
    }

    /// Refuses a form whose hidden `csrf` field does not match this session (403).
    pub fn check_csrf(&self, state: &AppState, presented: &str) -> Result<(), AppError> {
        if sessions::csrf_matches(&state.server_key, &self.token, presented) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "This form has expired or did not come from this site; reload the page and try again.".into(),
            ))
        }
    }

    /// The one way a portal handler calls a service for the signed-in visitor: `service` runs off
    /// the executor with this session and the caller's address (by the trusted-proxy rule).
    pub async fn run<T: Send + 'static>(
        &self,
        call: &Call,
        service: impl FnOnce(&AppState, &Session, Option<&str>) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let session = self.session.clone();
        call.run(move |state, ip| service(state, &session, ip)).await
    }

    /// A form this account posted: its `csrf` field checked (the outer `Err`, 403), then `run`.
    /// The service's own outcome is the handler's to map: a refusal usually becomes the form's
    /// errors, or `.await??` passes it on.
    pub async fn submit<T: Send + 'static>(
        &self,
        call: &Call,
        csrf: &str,
        service: impl FnOnce(&AppState, &Session, Option<&str>) -> Result<T, AppError> + Send + 'static,
    ) -> Result<Result<T, AppError>, AppError> {
        self.check_csrf(call.state(), csrf)?;
        Ok(self.run(call, service).await)
    }
}

/// Resolves the session cookie (if any) into the request extensions. Static files skip it.
pub async fn attach(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let token = req.cookie(COOKIE).map(|c| c.value().to_owned()).filter(|t| !t.is_empty());
    let state = req.app_data::<web::Data<AppState>>().map(|s| s.get_ref().clone());
    if let (Some(token), Some(state), false) = (token, state, req.path().contains("/static/")) {
        let t = token.clone();
        // A database hiccup shows the page signed out rather than failing it.
        if let Ok(Some(session)) = blocking(move || sessions::resolve(&state, &t)).await {
            crate::http::request_log::record_user(req.request(), &session.user.username);
            req.extensions_mut().insert(Account { session, token });
        }
    }
    next.call(req).await
}

/// Extractor for pages that need an account: signed-out visitors are sent to the sign-in page,
/// which brings them back here (for a form post, back to the page the form was on).
impl FromRequest for Account {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Account::of(req).ok_or_else(|| {
            let response = forms::to_sign_in(req);
            InternalError::from_response("sign in first", response).into()
        }))
    }
}

/// Forms shown before there is a session (sign in, register, forgot password) are bound to a
/// random "pre-session" cookie instead (double submit): another site can make a browser post the
/// form, but cannot read the cookie's token, so it cannot sign a victim into its own account.
pub const FORM_COOKIE: &str = "galley_form";

fn pre_session_token(state: &AppState, cookie_value: &str) -> String {
    sessions::csrf_token(&state.server_key, &format!("pre-session:{cookie_value}"))
}

/// The token for a signed-out form, and the cookie to set when the browser has none yet.
pub fn pre_session(state: &AppState, req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    if let Some(value) = req.cookie(FORM_COOKIE).map(|c| c.value().to_owned()).filter(|v| !v.is_empty()) {
        return (pre_session_token(state, &value), None);
    }
    let value = token::generate();
    let cookie = Cookie::build(FORM_COOKIE, value.clone())
        .path(state.urls.base_path().to_owned())
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(crate::http::client_address::is_https(req))
        .finish();
    (pre_session_token(state, &value), Some(cookie))
}

/// Refuses a signed-out form whose `csrf` field does not match the browser's pre-session cookie.
pub fn check_pre_session(state: &AppState, req: &HttpRequest, presented: &str) -> Result<(), AppError> {
    let value = req.cookie(FORM_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    if !value.is_empty() && sessions::csrf_matches(&state.server_key, &format!("pre-session:{value}"), presented) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "This form has expired or did not come from this site; reload the page and try again.".into(),
        ))
    }
}

/// Adds the pre-session cookie (if any) to a rendered page.
pub fn with_cookie(mut response: HttpResponse, cookie: Option<Cookie<'static>>) -> Result<HttpResponse, AppError> {
    if let Some(cookie) = cookie {
        response.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    Ok(response)
}

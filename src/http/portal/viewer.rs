//! Who is looking at a portal page. The session cookie is resolved once per request by a
//! middleware, so the layout (header menu) and the handlers read the same answer.
//!
//! CSRF for HTML forms: the session's token (the same HMAC as the API's `X-Galley-Csrf` header,
//! see `http::session`) travels as the hidden field `csrf`; `Account::check_csrf` verifies it.
use super::forms;
use crate::error::AppError;
use crate::http::session::COOKIE;
use crate::services::blocking;
use crate::services::sessions::{self, Session};
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
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
        if let Ok(Some(session)) = blocking(move || sessions::resolve(&state, &*state.conn()?, &t)).await {
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

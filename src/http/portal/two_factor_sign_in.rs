//! The second step of signing in (`/users/account/TwoFactor`) for an account with two-factor
//! authentication: after the right password, the browser holds a short-lived token in its own
//! cookie (no session exists yet) and is asked for the code. The form carries the pre-session
//! CSRF token and the same local `returnUrl` as the sign-in form; the rules are the services'.
use super::forms::{self, Errors};
use super::layout::{self, Layout};
use super::viewer::{self, Account};
use crate::error::AppError;
use crate::http::call::Call;
use crate::http::session::session_cookie;
use crate::services::{two_factor, two_factor_sign_in};
use crate::state::AppState;
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// The half-finished sign-in's token; only its hash is stored.
pub const COOKIE: &str = "galley_2fa";

#[derive(Template)]
#[template(path = "sign_in_two_factor.html")]
struct SecondStepPage {
    layout: Layout,
    errors: Errors,
    return_url: String,
    /// False when the browser has no half-finished sign-in (expired, or never started).
    pending: bool,
    sign_in_url: String,
}

#[derive(Deserialize, Default)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default, rename = "returnUrl")]
    return_url: String,
    #[serde(default)]
    csrf: String,
}

fn cookie(state: &AppState, req: &HttpRequest, value: &str) -> Cookie<'static> {
    let mut c = Cookie::build(COOKIE, value.to_owned())
        .path(state.urls.base_path().to_owned())
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(crate::http::client_address::is_https(req))
        .finish();
    if value.is_empty() {
        c.make_removal();
    } else {
        c.set_max_age(time::Duration::minutes(two_factor::PENDING_MINUTES));
    }
    c
}

/// Where the sign-in form sends a browser whose password was right and whose account has 2FA.
pub fn second_step(state: &AppState, req: &HttpRequest, pending: &str, return_url: &str) -> HttpResponse {
    let encoded: String = form_urlencoded::byte_serialize(return_url.as_bytes()).collect();
    let url = format!("{}?returnUrl={encoded}", state.urls.site_path_of("/users/account/TwoFactor"));
    forms::see_other_with(&url, cookie(state, req, pending))
}

fn page(
    state: &AppState,
    req: &HttpRequest,
    return_url: String,
    pending: bool,
    errors: Errors,
) -> Result<HttpResponse, AppError> {
    let status = if errors.any() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let (layout, pre) = Layout::new(state, req, "Two-factor authentication").current("signin").signed_out(state, req);
    let sign_in_url = state.urls.portal_sign_in(&return_url);
    let page = SecondStepPage { layout, errors, return_url, pending, sign_in_url };
    viewer::with_cookie(layout::render_status(status, &page)?, pre)
}

fn pending_token(req: &HttpRequest) -> Option<String> {
    req.cookie(COOKIE).map(|c| c.value().to_owned()).filter(|v| !v.is_empty())
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<super::forms::ReturnQuery>,
) -> Result<HttpResponse, AppError> {
    let return_url = forms::local_return(&state, q.into_inner().return_url.as_deref());
    if Account::of(&req).is_some() {
        return Ok(forms::see_other(&return_url));
    }
    let pending = pending_token(&req).is_some();
    let errors = if pending { Errors::default() } else { expired() };
    page(&state, &req, return_url, pending, errors)
}

fn expired() -> Errors {
    let mut errors = Errors::default();
    two_factor::PENDING_EXPIRED.clone_into(&mut errors.form);
    errors
}

pub async fn verify(req: HttpRequest, call: Call, form: web::Form<CodeForm>) -> Result<HttpResponse, AppError> {
    let state = call.state();
    viewer::check_pre_session(state, &req, &form.csrf)?;
    let form = form.into_inner();
    let return_url = forms::local_return(state, Some(&form.return_url));
    let Some(pending) = pending_token(&req) else {
        return page(state, &req, return_url, false, expired());
    };
    if form.code.trim().is_empty() {
        let errors = Errors::field("code", "Enter the code from your authenticator app, or a recovery code.");
        return page(state, &req, return_url, true, errors);
    }
    let code = form.code;
    match call.run(move |st, ip| two_factor_sign_in::complete(st, &pending, &code, ip)).await {
        Ok(signed_in) => Ok(HttpResponse::SeeOther()
            .insert_header((actix_web::http::header::LOCATION, return_url))
            .cookie(session_cookie(state, &req, &signed_in))
            .cookie(cookie(state, &req, ""))
            .finish()),
        Err(AppError::Unauthorized { message, .. }) if message == two_factor::PENDING_EXPIRED => {
            page(state, &req, return_url, false, expired())
        }
        Err(e) => {
            let errors = Errors::from_refusal(e, &[])?;
            page(state, &req, return_url, true, Errors::field("code", errors.form))
        }
    }
}

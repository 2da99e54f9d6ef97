//! The pages emailed links open, and forgot-password: `/users/account/ForgotPassword`,
//! `/account/reset-password?token=…`, `/account/confirm-email?token=…` (paths from
//! `UrlGenerator`). The single-use token in the form is the secret, so these forms need no session
//! or CSRF token: a forged post would have to know it. Confirming takes a button press, because
//! mail scanners open links and would otherwise use the token up.
use super::forms::Errors;
use super::layout::{self, Layout};
use super::viewer;
use crate::error::AppError;
use crate::http::call::Call;
use crate::services::email_links;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "email_link.html")]
struct LinkPage {
    layout: Layout,
    /// "forgot", "sent", "reset", "confirm", "done".
    kind: &'static str,
    token: String,
    typed: String,
    message: String,
    errors: Errors,
    sign_in_url: String,
}

fn render(page: &LinkPage) -> Result<HttpResponse, AppError> {
    let status = if page.errors.any() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    layout::render_status(status, page)
}

fn page(state: &AppState, req: &HttpRequest, title: &str, kind: &'static str) -> LinkPage {
    LinkPage {
        layout: Layout::new(state, req, title),
        kind,
        token: String::new(),
        typed: String::new(),
        message: String::new(),
        errors: Errors::default(),
        sign_in_url: state.urls.portal_sign_in(&state.urls.portal_home()),
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    csrf: String,
}

/// The forgot-password form, bound to the pre-session cookie like sign-in.
fn forgot_page(state: &AppState, req: &HttpRequest, errors: Errors, typed: String) -> Result<HttpResponse, AppError> {
    let mut p = page(state, req, "Forgot your password?", "forgot");
    let (layout, cookie) = p.layout.signed_out(state, req);
    p = LinkPage { layout, typed, errors, ..p };
    viewer::with_cookie(render(&p)?, cookie)
}

pub async fn forgot_form(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    forgot_page(&state, &req, Errors::default(), String::new())
}

pub async fn forgot(req: HttpRequest, call: Call, form: web::Form<LinkForm>) -> Result<HttpResponse, AppError> {
    let state = call.state();
    viewer::check_pre_session(state, &req, &form.csrf)?;
    let name = form.username.trim().to_owned();
    if name.is_empty() {
        return forgot_page(state, &req, Errors::field("username", "Enter your username or email address."), name);
    }
    call.run(move |st, ip| email_links::request_password_reset(st, &name, ip)).await?;
    let mut p = page(state, &req, "Check your email", "sent");
    // The same answer whether or not the account exists.
    p.message = "If an account matches, a password reset link was sent to its email address.".into();
    render(&p)
}

pub async fn reset_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let mut p = page(&state, &req, "Choose a new password", "reset");
    p.token = q.into_inner().token;
    render(&p)
}

pub async fn reset(req: HttpRequest, call: Call, form: web::Form<LinkForm>) -> Result<HttpResponse, AppError> {
    let LinkForm { token, new_password, .. } = form.into_inner();
    let t = token.clone();
    let outcome = call.run(move |st, ip| email_links::complete_password_reset(st, &t, &new_password, ip)).await;
    let state = call.state();
    match outcome {
        Ok(()) => {
            let mut p = page(state, &req, "Password changed", "done");
            p.message = "Your password was changed; sign in with the new one.".into();
            render(&p)
        }
        Err(e) => {
            let mut p = page(state, &req, "Choose a new password", "reset");
            p.errors = Errors::from_refusal(e, &["password"])?;
            p.errors.rename(&[("password", "new_password")]);
            p.token = token;
            render(&p)
        }
    }
}

pub async fn confirm_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let mut p = page(&state, &req, "Confirm your email address", "confirm");
    p.token = q.into_inner().token;
    render(&p)
}

pub async fn confirm(req: HttpRequest, call: Call, form: web::Form<LinkForm>) -> Result<HttpResponse, AppError> {
    let token = form.into_inner().token;
    let t = token.clone();
    let outcome = call.run(move |st, ip| email_links::confirm_email(st, &t, ip)).await;
    let state = call.state();
    match outcome {
        Ok(profile) => {
            let mut p = page(state, &req, "Email address confirmed", "done");
            p.message = format!("Thank you, {}: your email address is confirmed.", profile.username);
            render(&p)
        }
        Err(e) => {
            let mut p = page(state, &req, "Confirm your email address", "confirm");
            p.errors = Errors::from_refusal(e, &[])?;
            p.token = token;
            render(&p)
        }
    }
}

/// After a successful form elsewhere, e.g. the sign-in page's "Forgot your password?" link.
/// After registering: the same page whether or not the address already had an account (see
/// `accounts::register`), so the visitor signs in next rather than being signed in here.
pub fn registered(
    state: &AppState,
    req: &HttpRequest,
    registered: &crate::services::accounts::Registered,
    return_url: &str,
) -> Result<HttpResponse, AppError> {
    let mut p = page(state, req, "Check your email", "done");
    p.message = if registered.awaiting_approval {
        format!(
            "We sent a link to {} to confirm the address. An administrator must approve the account {} before \
             you can sign in.",
            registered.email, registered.username
        )
    } else {
        format!(
            "We sent a link to {} to confirm the address. Sign in as {} to continue.",
            registered.email, registered.username
        )
    };
    p.sign_in_url = state.urls.portal_sign_in(return_url);
    render(&p)
}

pub fn forgot_url(state: &AppState) -> String {
    state.urls.site_path_of("/users/account/ForgotPassword")
}

//! Sign in (`/users/account/LogOn`), register (`/users/account/Register`) and sign out
//! (`/users/account/LogOff`, POST only). Rules and messages are the accounts services'.
use super::forms::{self, Errors};
use super::layout::{self, Layout};
use super::viewer::{self, Account};
use crate::error::AppError;
use crate::http::call::Call;
use crate::http::session::{removal_cookie, session_cookie};
use crate::services::accounts::{self, NewAccount};
use crate::services::sessions::{self, SignInOutcome};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    layout: Layout,
    form: SignInForm,
    errors: Errors,
    register_url: String,
    forgot_url: String,
    /// "Sign in with NAME", one per `[[oidc]]` provider.
    providers: Vec<super::oidc::Button>,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    layout: Layout,
    form: RegisterForm,
    errors: Errors,
    sign_in_url: String,
}

#[derive(Deserialize, Default)]
pub struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "returnUrl")]
    return_url: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize, Default)]
pub struct RegisterForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "returnUrl")]
    return_url: String,
    #[serde(default)]
    csrf: String,
}

fn sign_in_page(
    state: &AppState,
    req: &HttpRequest,
    form: SignInForm,
    errors: Errors,
) -> Result<HttpResponse, AppError> {
    let status = if errors.any() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let register_url = state.urls.portal_register(&form.return_url);
    let (layout, cookie) = Layout::new(state, req, "Sign in").current("signin").signed_out(state, req);
    let forgot_url = super::email_links::forgot_url(state);
    let page = SignInPage { layout, form, errors, register_url, forgot_url, providers: super::oidc::buttons(state) };
    viewer::with_cookie(layout::render_status(status, &page)?, cookie)
}

pub async fn sign_in_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<forms::ReturnQuery>,
) -> Result<HttpResponse, AppError> {
    let return_url = forms::local_return(&state, q.into_inner().return_url.as_deref());
    if Account::of(&req).is_some() {
        return Ok(forms::see_other(&return_url));
    }
    sign_in_page(&state, &req, SignInForm { return_url, ..SignInForm::default() }, Errors::default())
}

pub async fn sign_in(req: HttpRequest, call: Call, form: web::Form<SignInForm>) -> Result<HttpResponse, AppError> {
    let state = call.state();
    viewer::check_pre_session(state, &req, &form.csrf)?;
    let mut form = form.into_inner();
    form.return_url = forms::local_return(state, Some(&form.return_url));
    if form.username.trim().is_empty() {
        return sign_in_page(state, &req, form, Errors::field("username", "Enter your username or email address."));
    }
    let (name, password) = (form.username.trim().to_owned(), std::mem::take(&mut form.password));
    match call.run(move |st, ip| sessions::sign_in(st, &name, &password, ip)).await {
        Ok(SignInOutcome::SignedIn(signed_in)) => {
            Ok(forms::see_other_with(&form.return_url, session_cookie(state, &req, &signed_in)))
        }
        // The account has two-factor authentication: the code is asked on a page of its own.
        Ok(SignInOutcome::SecondStep { token }) => {
            Ok(super::two_factor_sign_in::second_step(state, &req, &token, &form.return_url))
        }
        Err(e) => {
            let errors = Errors::from_refusal(e, &[])?;
            sign_in_page(state, &req, form, Errors::field("password", errors.form))
        }
    }
}

fn register_page(
    state: &AppState,
    req: &HttpRequest,
    form: RegisterForm,
    errors: Errors,
) -> Result<HttpResponse, AppError> {
    let status = if errors.any() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let sign_in_url = state.urls.portal_sign_in(&form.return_url);
    let (layout, cookie) = Layout::new(state, req, "Register").signed_out(state, req);
    viewer::with_cookie(layout::render_status(status, &RegisterPage { layout, form, errors, sign_in_url })?, cookie)
}

pub async fn register_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<forms::ReturnQuery>,
) -> Result<HttpResponse, AppError> {
    let return_url = forms::local_return(&state, q.into_inner().return_url.as_deref());
    register_page(&state, &req, RegisterForm { return_url, ..RegisterForm::default() }, Errors::default())
}

/// Registers and signs the new account in, as nuget.org does; the confirmation email is on its way.
pub async fn register(req: HttpRequest, call: Call, form: web::Form<RegisterForm>) -> Result<HttpResponse, AppError> {
    let state = call.state();
    viewer::check_pre_session(state, &req, &form.csrf)?;
    let mut form = form.into_inner();
    form.return_url = forms::local_return(state, Some(&form.return_url));
    let (username, email, password) =
        (form.username.trim().to_owned(), form.email.trim().to_owned(), std::mem::take(&mut form.password));
    let outcome = call
        .run(move |st, ip| {
            let account = NewAccount { username: &username, email: &email, password: &password, is_admin: false };
            accounts::register(st, &account, ip)
        })
        .await;
    match outcome {
        Ok(registered) => super::email_links::registered(state, &req, &registered, &form.return_url),
        Err(e) => {
            let errors = Errors::from_refusal(e, &["username", "email", "password"])?;
            register_page(state, &req, form, errors)
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn sign_out(
    req: HttpRequest,
    call: Call,
    account: Account,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    let state = call.state().clone();
    account.submit(&call, &form.csrf, sessions::sign_out).await??;
    Ok(forms::see_other_with(&state.urls.portal_home(), removal_cookie(&state, &req)))
}

//! `/api/account`: register, sign in and out, the signed-in account, password and address
//! changes, and the emailed links (confirmation, password reset).
use super::json_config;
use crate::error::AppError;
use crate::http::auth::client_ip;
use crate::http::session::{removal_cookie, session_cookie, SessionUser};
use crate::services::accounts::{self, NewAccount};
use crate::services::{blocking, email_links, sessions};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub fn scope() -> actix_web::Scope {
    web::scope("/api/account")
        .app_data(json_config())
        .route("", web::get().to(me))
        .route("/register", web::post().to(register))
        .route("/signin", web::post().to(sign_in))
        .route("/signout", web::post().to(sign_out))
        .route("/password", web::post().to(change_password))
        .route("/email", web::post().to(change_email))
        .route("/confirm-email", web::post().to(confirm_email))
        .route("/confirm-email/resend", web::post().to(resend_confirmation))
        .route("/password-reset", web::post().to(request_reset))
        .route("/password-reset/complete", web::post().to(complete_reset))
}

#[derive(Deserialize)]
struct RegisterBody {
    username: String,
    email: String,
    password: String,
}

async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<RegisterBody>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    let registered = blocking(move || {
        let account = NewAccount {
            username: body.username.trim(),
            email: body.email.trim(),
            password: &body.password,
            is_admin: false,
        };
        accounts::register(&state, &account, ip.as_deref())
    })
    .await?;
    Ok(HttpResponse::Created().json(registered))
}

#[derive(Deserialize)]
struct SignInBody {
    /// A username or an email address.
    username: String,
    password: String,
}

async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<SignInBody>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    let service_state = state.clone();
    let signed_in =
        blocking(move || sessions::sign_in(&service_state, &body.username, &body.password, ip.as_deref())).await?;
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&state, &req, &signed_in))
        .json(json!({ "account": signed_in.profile, "csrf_token": signed_in.csrf_token })))
}

async fn sign_out(req: HttpRequest, state: web::Data<AppState>, user: SessionUser) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    let service_state = state.clone();
    blocking(move || sessions::sign_out(&*service_state.conn()?, &user.0, ip.as_deref())).await?;
    Ok(HttpResponse::NoContent().cookie(removal_cookie(&state, &req)).finish())
}

async fn me(state: web::Data<AppState>, user: SessionUser) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let csrf = user.0.csrf_token.clone();
    let profile = blocking(move || accounts::profile(&*state.conn()?, user.0.user.id)).await?;
    Ok(HttpResponse::Ok().json(json!({ "account": profile, "csrf_token": csrf })))
}

#[derive(Deserialize)]
struct PasswordBody {
    current_password: String,
    new_password: String,
}

async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SessionUser,
    body: web::Json<PasswordBody>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    let s = user.0;
    blocking(move || {
        accounts::change_password(
            &state,
            &s.principal,
            Some(s.id),
            &body.current_password,
            &body.new_password,
            ip.as_deref(),
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
struct EmailBody {
    email: String,
    current_password: String,
}

async fn change_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SessionUser,
    body: web::Json<EmailBody>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    blocking(move || {
        email_links::request_email_change(&state, &user.0.principal, &body.email, &body.current_password, ip.as_deref())
    })
    .await?;
    Ok(HttpResponse::Accepted().json(json!({ "message": "A confirmation link was sent to the new address; the change takes effect when it is opened." })))
}

#[derive(Deserialize)]
struct TokenBody {
    token: String,
}

async fn confirm_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<TokenBody>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    let profile = blocking(move || email_links::confirm_email(&state, &body.token, ip.as_deref())).await?;
    Ok(HttpResponse::Ok().json(profile))
}

async fn resend_confirmation(state: web::Data<AppState>, user: SessionUser) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    blocking(move || email_links::resend_confirmation(&state, &user.0.principal)).await?;
    Ok(HttpResponse::Accepted().json(json!({ "message": "A new confirmation link was sent." })))
}

#[derive(Deserialize)]
struct ResetBody {
    /// A username or an email address.
    username: String,
}

async fn request_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<ResetBody>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    blocking(move || email_links::request_password_reset(&state, &body.username, ip.as_deref())).await?;
    // The same answer whether or not the account exists.
    Ok(HttpResponse::Accepted()
        .json(json!({ "message": "If an account matches, a password reset link was sent to its email address." })))
}

#[derive(Deserialize)]
struct CompleteResetBody {
    token: String,
    new_password: String,
}

async fn complete_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<CompleteResetBody>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    blocking(move || email_links::complete_password_reset(&state, &body.token, &body.new_password, ip.as_deref()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

//! `/api/account`: register, sign in and out, the signed-in account, password and address
//! changes, and the emailed links (confirmation, password reset).
use super::json_config;
use crate::error::AppError;
use crate::http::call::Call;
use crate::http::session::{removal_cookie, session_cookie, SessionUser};
use crate::services::accounts::{self, NewAccount};
use crate::services::{email_links, sessions, two_factor_sign_in};
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

async fn register(call: Call, body: web::Json<RegisterBody>) -> Result<HttpResponse, AppError> {
    let registered = call
        .run(move |state, ip| {
            let account = NewAccount {
                username: body.username.trim(),
                email: body.email.trim(),
                password: &body.password,
                is_admin: false,
            };
            accounts::register(state, &account, ip)
        })
        .await?;
    Ok(HttpResponse::Created().json(registered))
}

#[derive(Deserialize)]
struct SignInBody {
    /// A username or an email address.
    username: String,
    password: String,
    /// The authenticator app's code (or a recovery code), for an account with two-factor authentication.
    code: Option<String>,
}

async fn sign_in(req: HttpRequest, call: Call, body: web::Json<SignInBody>) -> Result<HttpResponse, AppError> {
    let state = call.state().clone();
    let signed_in = call
        .run(move |state, ip| {
            two_factor_sign_in::sign_in_with_code(state, &body.username, &body.password, body.code.as_deref(), ip)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&state, &req, &signed_in))
        .json(json!({ "account": signed_in.profile, "csrf_token": signed_in.csrf_token })))
}

async fn sign_out(req: HttpRequest, call: Call, user: SessionUser) -> Result<HttpResponse, AppError> {
    let state = call.state().clone();
    call.run(move |state, ip| sessions::sign_out(state, &user.0, ip)).await?;
    Ok(HttpResponse::NoContent().cookie(removal_cookie(&state, &req)).finish())
}

async fn me(call: Call, user: SessionUser) -> Result<HttpResponse, AppError> {
    let csrf = user.0.csrf_token.clone();
    let profile = call.run(move |state, _| accounts::profile(state, user.0.user.id)).await?;
    Ok(HttpResponse::Ok().json(json!({ "account": profile, "csrf_token": csrf })))
}

#[derive(Deserialize)]
struct PasswordBody {
    current_password: String,
    new_password: String,
}

async fn change_password(
    call: Call,
    user: SessionUser,
    body: web::Json<PasswordBody>,
) -> Result<HttpResponse, AppError> {
    let s = user.0;
    call.run(move |state, ip| {
        accounts::change_password(state, &s.principal, Some(s.id), &body.current_password, &body.new_password, ip)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
struct EmailBody {
    email: String,
    current_password: String,
}

async fn change_email(call: Call, user: SessionUser, body: web::Json<EmailBody>) -> Result<HttpResponse, AppError> {
    call.run(move |state, ip| {
        email_links::request_email_change(state, &user.0.principal, &body.email, &body.current_password, ip)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(json!({ "message": "A confirmation link was sent to the new address; the change takes effect when it is opened." })))
}

#[derive(Deserialize)]
struct TokenBody {
    token: String,
}

async fn confirm_email(call: Call, body: web::Json<TokenBody>) -> Result<HttpResponse, AppError> {
    let profile = call.run(move |state, ip| email_links::confirm_email(state, &body.token, ip)).await?;
    Ok(HttpResponse::Ok().json(profile))
}

async fn resend_confirmation(call: Call, user: SessionUser) -> Result<HttpResponse, AppError> {
    call.run(move |state, _| email_links::resend_confirmation(state, &user.0.principal)).await?;
    Ok(HttpResponse::Accepted().json(json!({ "message": "A new confirmation link was sent." })))
}

#[derive(Deserialize)]
struct ResetBody {
    /// A username or an email address.
    username: String,
}

async fn request_reset(call: Call, body: web::Json<ResetBody>) -> Result<HttpResponse, AppError> {
    call.run(move |state, ip| email_links::request_password_reset(state, &body.username, ip)).await?;
    // The same answer whether or not the account exists.
    Ok(HttpResponse::Accepted()
        .json(json!({ "message": "If an account matches, a password reset link was sent to its email address." })))
}

#[derive(Deserialize)]
struct CompleteResetBody {
    token: String,
    new_password: String,
}

async fn complete_reset(call: Call, body: web::Json<CompleteResetBody>) -> Result<HttpResponse, AppError> {
    call.run(move |state, ip| email_links::complete_password_reset(state, &body.token, &body.new_password, ip)).await?;
    Ok(HttpResponse::NoContent().finish())
}

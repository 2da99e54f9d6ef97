//! `/api/orgs`: organizations and their members.
use super::json_config;
use crate::error::AppError;
use crate::http::call::Call;
use crate::http::session::SessionUser;
use crate::services::orgs;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

pub fn scope() -> actix_web::Scope {
    web::scope("/api/orgs")
        .app_data(json_config())
        .route("", web::post().to(create))
        .route("/{org}", web::get().to(view))
        .route("/{org}/members/{username}", web::put().to(set_member))
        .route("/{org}/members/{username}", web::delete().to(remove_member))
}

#[derive(Deserialize)]
struct CreateBody {
    name: String,
    email: String,
}

async fn create(call: Call, user: SessionUser, body: web::Json<CreateBody>) -> Result<HttpResponse, AppError> {
    let org = call
        .run(move |state, ip| orgs::create(state, &user.0.principal, body.name.trim(), body.email.trim(), ip))
        .await?;
    Ok(HttpResponse::Created().json(org))
}

async fn view(call: Call, user: SessionUser, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let name = path.into_inner();
    let org = call.run(move |state, _| orgs::view(state, &user.0.principal, &name)).await?;
    Ok(HttpResponse::Ok().json(org))
}

#[derive(Deserialize)]
struct MemberBody {
    role: String,
}

async fn set_member(
    call: Call,
    user: SessionUser,
    path: web::Path<(String, String)>,
    body: web::Json<MemberBody>,
) -> Result<HttpResponse, AppError> {
    let (name, username) = path.into_inner();
    let org =
        call.run(move |state, ip| orgs::set_member(state, &user.0.principal, &name, &username, &body.role, ip)).await?;
    Ok(HttpResponse::Ok().json(org))
}

async fn remove_member(
    call: Call,
    user: SessionUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (name, username) = path.into_inner();
    call.run(move |state, ip| orgs::remove_member(state, &user.0.principal, &name, &username, ip)).await?;
    Ok(HttpResponse::NoContent().finish())
}

//! `/api/orgs`: organizations and their members.
use super::json_config;
use crate::error::AppError;
use crate::http::auth::client_ip;
use crate::http::session::SessionUser;
use crate::services::{blocking, orgs};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
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

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SessionUser,
    body: web::Json<CreateBody>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    let org = blocking(move || {
        orgs::create(&*state.conn()?, &user.0.principal, body.name.trim(), body.email.trim(), ip.as_deref())
    })
    .await?;
    Ok(HttpResponse::Created().json(org))
}

async fn view(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let name = path.into_inner();
    let org = blocking(move || orgs::view(&*state.conn()?, &user.0.principal, &name)).await?;
    Ok(HttpResponse::Ok().json(org))
}

#[derive(Deserialize)]
struct MemberBody {
    role: String,
}

async fn set_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<(String, String)>,
    body: web::Json<MemberBody>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    let (name, username) = path.into_inner();
    let org = blocking(move || {
        orgs::set_member(&*state.conn()?, &user.0.principal, &name, &username, &body.role, ip.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(org))
}

async fn remove_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    let (name, username) = path.into_inner();
    blocking(move || orgs::remove_member(&*state.conn()?, &user.0.principal, &name, &username, ip.as_deref())).await?;
    Ok(HttpResponse::NoContent().finish())
}

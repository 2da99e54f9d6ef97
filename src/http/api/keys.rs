//! `/api/keys`: the signed-in user's API keys (and those of organizations it administers).
use super::json_config;
use crate::domain::api_key::Scope;
use crate::error::AppError;
use crate::http::auth::client_ip;
use crate::http::session::SessionUser;
use crate::services::{blocking, keys};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

pub fn scope() -> actix_web::Scope {
    web::scope("/api/keys")
        .app_data(json_config())
        .route("", web::get().to(list))
        .route("", web::post().to(create))
        .route("/{key}/regenerate", web::post().to(regenerate))
        .route("/{key}", web::delete().to(delete))
}

#[derive(Deserialize)]
struct CreateBody {
    #[serde(default)]
    description: String,
    scopes: Vec<String>,
    #[serde(default)]
    globs: Vec<String>,
    #[serde(default)]
    packages: Vec<String>,
    expires_in_days: Option<u32>,
    /// An organization the key acts for; absent = the signed-in user.
    owner: Option<String>,
}

async fn list(state: web::Data<AppState>, user: SessionUser) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let keys = blocking(move || keys::list_manageable(&*state.conn()?, &user.0.principal)).await?;
    Ok(HttpResponse::Ok().json(keys))
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SessionUser,
    body: web::Json<CreateBody>,
) -> Result<HttpResponse, AppError> {
    let scopes = Scope::parse_list(&body.scopes.join(",")).map_err(AppError::bad_input)?;
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    let created = blocking(move || {
        let body = body.into_inner();
        let request = keys::NewKeyRequest {
            user_id: user.0.user.id,
            owner: body.owner.as_deref().filter(|o| !o.trim().is_empty()),
            description: &body.description,
            scopes,
            globs: body.globs,
            package_ids: body.packages,
            expires_in_days: body.expires_in_days.unwrap_or(state.config.accounts.api_key_default_days),
        };
        keys::create(&*state.conn()?, &state.server_key, &request, ip.as_deref())
    })
    .await?;
    Ok(HttpResponse::Created().json(created))
}

async fn regenerate(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    let key_id = path.into_inner();
    let created = blocking(move || {
        keys::regenerate(&*state.conn()?, &state.server_key, &user.0.principal, key_id, ip.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(created))
}

async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    let key_id = path.into_inner();
    blocking(move || keys::delete(&*state.conn()?, &user.0.principal, key_id, ip.as_deref())).await?;
    Ok(HttpResponse::NoContent().finish())
}

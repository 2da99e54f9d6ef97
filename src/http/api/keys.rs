//! `/api/keys`: the signed-in user's API keys (and those of organizations it administers).
use super::json_config;
use crate::domain::api_key::Scope;
use crate::error::AppError;
use crate::http::call::Call;
use crate::http::session::SessionUser;
use crate::services::keys;
use actix_web::{web, HttpResponse};
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

async fn list(call: Call, user: SessionUser) -> Result<HttpResponse, AppError> {
    let keys =
        call.run(move |state, _| keys::list_manageable(&*state.conn()?, &user.0.principal, state.clock.now())).await?;
    Ok(HttpResponse::Ok().json(keys))
}

async fn create(call: Call, user: SessionUser, body: web::Json<CreateBody>) -> Result<HttpResponse, AppError> {
    let scopes = Scope::parse_list(&body.scopes.join(",")).map_err(AppError::bad_input)?;
    let created = call
        .run(move |state, ip| {
            let body = body.into_inner();
            let request = keys::NewKeyRequest {
                user_id: user.0.user.id,
                session: Some(&user.0.principal),
                owner: body.owner.as_deref().filter(|o| !o.trim().is_empty()),
                description: &body.description,
                scopes,
                globs: body.globs,
                package_ids: body.packages,
                expires_in_days: body.expires_in_days.unwrap_or(state.config.accounts.api_key_default_days),
            };
            keys::create(&*state.conn()?, &state.server_key, &request, ip, state.clock.now())
        })
        .await?;
    Ok(HttpResponse::Created().json(created))
}

async fn regenerate(call: Call, user: SessionUser, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let key_id = path.into_inner();
    let created = call
        .run(move |state, ip| {
            keys::regenerate(&*state.conn()?, &state.server_key, &user.0.principal, key_id, ip, state.clock.now())
        })
        .await?;
    Ok(HttpResponse::Ok().json(created))
}

async fn delete(call: Call, user: SessionUser, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let key_id = path.into_inner();
    call.run(move |state, ip| keys::delete(&*state.conn()?, &user.0.principal, key_id, ip)).await?;
    Ok(HttpResponse::NoContent().finish())
}

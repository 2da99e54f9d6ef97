//! `/api/admin/users`: administrators list, create, promote, disable and enable accounts (the
//! way in when `[accounts] allow_registration = false`). Mounted inside the `/api/admin` scope.
use crate::error::AppError;
use crate::http::auth::client_ip;
use crate::http::session::AdminUser;
use crate::services::accounts::{self, NewAccount};
use crate::services::blocking;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

pub async fn list(state: web::Data<AppState>, admin: AdminUser) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let users = blocking(move || accounts::list_for_admin(&*state.conn()?, &admin.0.principal)).await?;
    Ok(HttpResponse::Ok().json(users))
}

#[derive(Deserialize)]
pub struct CreateBody {
    username: String,
    email: String,
    password: String,
    #[serde(default)]
    is_admin: bool,
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    body: web::Json<CreateBody>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    let profile = blocking(move || {
        let account = NewAccount {
            username: body.username.trim(),
            email: body.email.trim(),
            password: &body.password,
            is_admin: body.is_admin,
        };
        accounts::create_by_admin(&state, &admin.0.principal, &account, ip.as_deref())
    })
    .await?;
    Ok(HttpResponse::Created().json(profile))
}

#[derive(Deserialize)]
pub struct UpdateBody {
    is_admin: Option<bool>,
    is_disabled: Option<bool>,
}

pub async fn update(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    body: web::Json<UpdateBody>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let username = path.into_inner();
    blocking(move || {
        accounts::update_by_admin(&*state.conn()?, &admin.0.principal, &username, body.is_admin, body.is_disabled)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

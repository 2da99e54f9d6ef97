//! `/api/admin/users`: administrators list, create, promote, disable and enable accounts (the
//! way in when `[accounts] allow_registration = false`). Mounted inside the `/api/admin` scope.
use crate::error::AppError;
use crate::http::call::Call;
use crate::http::session::AdminUser;
use crate::services::accounts::{self, NewAccount};
use actix_web::{web, HttpResponse};
use serde::Deserialize;

pub async fn list(call: Call, admin: AdminUser) -> Result<HttpResponse, AppError> {
    let users = call.run(move |state, _| accounts::list_for_admin(state, &admin.0.principal)).await?;
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

pub async fn create(call: Call, admin: AdminUser, body: web::Json<CreateBody>) -> Result<HttpResponse, AppError> {
    let profile = call
        .run(move |state, ip| {
            let account = NewAccount {
                username: body.username.trim(),
                email: body.email.trim(),
                password: &body.password,
                is_admin: body.is_admin,
            };
            accounts::create_by_admin(state, &admin.0.principal, &account, ip)
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
    call: Call,
    admin: AdminUser,
    path: web::Path<String>,
    body: web::Json<UpdateBody>,
) -> Result<HttpResponse, AppError> {
    let username = path.into_inner();
    call.run(move |state, _| {
        accounts::update_by_admin(state, &admin.0.principal, &username, body.is_admin, body.is_disabled)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

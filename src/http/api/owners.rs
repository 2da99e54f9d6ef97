//! `/api/packages/{id}`: owners, pending invitations and the package's audit log.
use super::json_config;
use crate::error::AppError;
use crate::http::auth::client_ip;
use crate::http::session::SessionUser;
use crate::services::owners::{self, Answer};
use crate::services::{audit, blocking};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

pub fn scope() -> actix_web::Scope {
    web::scope("/api/packages/{id}")
        .app_data(json_config())
        .route("/owners", web::get().to(list))
        .route("/owners", web::post().to(invite))
        .route("/owners/confirm", web::post().to(accept))
        .route("/owners/decline", web::post().to(decline))
        .route("/owners/invitations/{username}", web::delete().to(cancel))
        .route("/owners/{username}", web::delete().to(remove))
        .route("/audit", web::get().to(package_audit))
}

async fn list(
    state: web::Data<AppState>,
    user: Option<SessionUser>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let id = path.into_inner();
    let view = blocking(move || owners::list(&*state.conn()?, user.as_ref().map(|u| &u.0.principal), &id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize)]
struct InviteBody {
    username: String,
}

async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    body: web::Json<InviteBody>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    let id = path.into_inner();
    let invited =
        blocking(move || owners::invite(&state, &user.0.principal, &id, &body.username, ip.as_deref())).await?;
    Ok(HttpResponse::Created().json(invited))
}

#[derive(Deserialize)]
struct TokenBody {
    token: String,
}

async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SessionUser,
    id: String,
    token: String,
    answer: Answer,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    let view = blocking(move || owners::answer(&state, &user.0.principal, &id, &token, answer, ip.as_deref())).await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    body: web::Json<TokenBody>,
) -> Result<HttpResponse, AppError> {
    answer(req, state, user, path.into_inner(), body.into_inner().token, Answer::Accept).await
}

async fn decline(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    body: web::Json<TokenBody>,
) -> Result<HttpResponse, AppError> {
    answer(req, state, user, path.into_inner(), body.into_inner().token, Answer::Decline).await
}

async fn cancel(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    let (id, username) = path.into_inner();
    blocking(move || owners::cancel(&state, &user.0.principal, &id, &username, ip.as_deref())).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let ip = client_ip(&req);
    let (id, username) = path.into_inner();
    blocking(move || owners::remove(&mut state.conn()?, &user.0.principal, &id, &username, ip.as_deref())).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn package_audit(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let id = path.into_inner();
    let entries = blocking(move || audit::for_package(&*state.conn()?, &user.0.principal, &id)).await?;
    Ok(HttpResponse::Ok().json(entries))
}

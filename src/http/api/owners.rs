//! `/api/packages/{id}`: owners, pending invitations and the package's audit log.
use super::json_config;
use crate::error::AppError;
use crate::http::call::Call;
use crate::http::session::SessionUser;
use crate::services::audit;
use crate::services::owners::{self, Answer};
use actix_web::{web, HttpResponse};
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

async fn list(call: Call, user: Option<SessionUser>, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let view = call.run(move |state, _| owners::list(state, user.as_ref().map(|u| &u.0.principal), &id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize)]
struct InviteBody {
    username: String,
}

async fn invite(
    call: Call,
    user: SessionUser,
    path: web::Path<String>,
    body: web::Json<InviteBody>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let invited = call.run(move |state, ip| owners::invite(state, &user.0.principal, &id, &body.username, ip)).await?;
    Ok(HttpResponse::Created().json(invited))
}

#[derive(Deserialize)]
struct TokenBody {
    token: String,
}

async fn answer(
    call: Call,
    user: SessionUser,
    id: String,
    token: String,
    answer: Answer,
) -> Result<HttpResponse, AppError> {
    let view = call.run(move |state, ip| owners::answer(state, &user.0.principal, &id, &token, answer, ip)).await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn accept(
    call: Call,
    user: SessionUser,
    path: web::Path<String>,
    body: web::Json<TokenBody>,
) -> Result<HttpResponse, AppError> {
    answer(call, user, path.into_inner(), body.into_inner().token, Answer::Accept).await
}

async fn decline(
    call: Call,
    user: SessionUser,
    path: web::Path<String>,
    body: web::Json<TokenBody>,
) -> Result<HttpResponse, AppError> {
    answer(call, user, path.into_inner(), body.into_inner().token, Answer::Decline).await
}

async fn cancel(call: Call, user: SessionUser, path: web::Path<(String, String)>) -> Result<HttpResponse, AppError> {
    let (id, username) = path.into_inner();
    call.run(move |state, ip| owners::cancel(state, &user.0.principal, &id, &username, ip)).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn remove(call: Call, user: SessionUser, path: web::Path<(String, String)>) -> Result<HttpResponse, AppError> {
    let (id, username) = path.into_inner();
    call.run(move |state, ip| owners::remove(state, &user.0.principal, &id, &username, ip)).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn package_audit(call: Call, user: SessionUser, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let entries = call.run(move |state, _| audit::for_package(state, &user.0.principal, &id)).await?;
    Ok(HttpResponse::Ok().json(entries))
}

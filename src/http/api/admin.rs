//! `/api/admin`: support requests (ownership recovery), direct owner changes, the whole audit
//! log and the mail log. Administrators only.
use super::json_config;
use crate::db::audit::AuditFilter;
use crate::domain::id::PackageId;
use crate::error::AppError;
use crate::http::call::Call;
use crate::http::session::AdminUser;
use crate::services::{audit, notify, owners, support};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub fn scope() -> actix_web::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<actix_web::body::BoxBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::scope("/api/admin")
        .wrap(actix_web::middleware::from_fn(crate::http::session::require_admin))
        .app_data(json_config())
        .route("/support", web::get().to(list_support))
        .route("/support/{request}/add-owner", web::post().to(support_add_owner))
        .route("/support/{request}/invite", web::post().to(support_invite))
        .route("/support/{request}/close", web::post().to(support_close))
        .route("/packages/{id}/owners", web::post().to(add_owner))
        .route("/audit", web::get().to(audit_log))
        .route("/mail", web::get().to(mail_log))
        .route("/users", web::get().to(super::admin_users::list))
        .route("/users", web::post().to(super::admin_users::create))
        .route("/users/{username}", web::post().to(super::admin_users::update))
        .route("/advisories", web::get().to(super::admin_advisories::list))
        .route("/advisories", web::post().to(super::admin_advisories::add))
        .route("/advisories/{advisory}", web::delete().to(super::admin_advisories::remove))
}

#[derive(Deserialize)]
struct StatusQuery {
    /// `open` (default), `closed` or `all`.
    status: Option<String>,
}

async fn list_support(call: Call, admin: AdminUser, query: web::Query<StatusQuery>) -> Result<HttpResponse, AppError> {
    let status = match query.into_inner().status.as_deref() {
        Some("all") => None,
        Some(s) => Some(s.to_owned()),
        None => Some("open".to_owned()),
    };
    let requests = call.run(move |state, _| support::list(state, &admin.0.principal, status.as_deref())).await?;
    Ok(HttpResponse::Ok().json(requests))
}

#[derive(Deserialize, Default)]
struct AccountBody {
    /// The account to use; absent = the requester's account.
    username: Option<String>,
}

async fn support_add_owner(
    call: Call,
    admin: AdminUser,
    path: web::Path<i64>,
    body: Option<web::Json<AccountBody>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let username = body.map(web::Json::into_inner).unwrap_or_default().username;
    let owner =
        call.run(move |state, ip| support::add_owner(state, &admin.0.principal, id, username.as_deref(), ip)).await?;
    Ok(HttpResponse::Ok().json(json!({ "request": id, "owner": owner })))
}

async fn support_invite(
    call: Call,
    admin: AdminUser,
    path: web::Path<i64>,
    body: Option<web::Json<AccountBody>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let username = body.map(web::Json::into_inner).unwrap_or_default().username;
    let invited =
        call.run(move |state, ip| support::invite(state, &admin.0.principal, id, username.as_deref(), ip)).await?;
    Ok(HttpResponse::Created().json(invited))
}

#[derive(Deserialize, Default)]
struct CloseBody {
    resolution: Option<String>,
}

async fn support_close(
    call: Call,
    admin: AdminUser,
    path: web::Path<i64>,
    body: Option<web::Json<CloseBody>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let resolution = body.map(web::Json::into_inner).unwrap_or_default().resolution;
    let closed =
        call.run(move |state, ip| support::close(state, &admin.0.principal, id, resolution.as_deref(), ip)).await?;
    Ok(HttpResponse::Ok().json(closed))
}

#[derive(Deserialize)]
struct OwnerBody {
    username: String,
}

async fn add_owner(
    call: Call,
    admin: AdminUser,
    path: web::Path<String>,
    body: web::Json<OwnerBody>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let view = call
        .run(move |state, ip| {
            let p = &admin.0.principal;
            owners::add_directly(state, p, &id, &body.username, ip, None)?;
            owners::list(state, Some(p), &id)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize)]
struct AuditQuery {
    package: Option<String>,
    actor: Option<String>,
    /// An action or a prefix of one (`owner.`).
    action: Option<String>,
    /// Entries older than this id (paging).
    before: Option<i64>,
    limit: Option<u32>,
}

async fn audit_log(call: Call, admin: AdminUser, query: web::Query<AuditQuery>) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let entries = call
        .run(move |state, _| {
            let package = q.package.map(PackageId::key_of);
            let filter = AuditFilter {
                package_lower: package.as_deref(),
                actor: q.actor.as_deref(),
                action_prefix: q.action.as_deref(),
                before_id: q.before,
                limit: q.limit.unwrap_or(100),
            };
            audit::search(state, &admin.0.principal, &filter)
        })
        .await?;
    Ok(HttpResponse::Ok().json(entries))
}

async fn mail_log(call: Call, _admin: AdminUser, query: web::Query<StatusQuery>) -> Result<HttpResponse, AppError> {
    let status = query.into_inner().status.filter(|s| s != "all");
    let mail = call.run(move |state, _| notify::list(state, status.as_deref())).await?;
    Ok(HttpResponse::Ok().json(mail))
}

//! `/api/admin/advisories`: administrators list, record and remove security advisories (the same
//! service as `galley advisory`). Mounted inside the admin scope, behind its guard.
use crate::domain::advisory::NewAdvisory;
use crate::error::AppError;
use crate::http::auth::client_ip;
use crate::http::session::AdminUser;
use crate::services::{advisories, blocking};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub async fn list(state: web::Data<AppState>, _admin: AdminUser) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let rows = blocking(move || advisories::list(&state)).await?;
    Ok(HttpResponse::Ok().json(rows))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvisoryBody {
    id: String,
    range: String,
    severity: String,
    url: String,
}

pub async fn add(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    body: web::Json<AdvisoryBody>,
) -> Result<HttpResponse, AppError> {
    let advisory = NewAdvisory::parse(&body.id, &body.range, &body.severity, &body.url)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let (state, ip) = (state.get_ref().clone(), client_ip(&req));
    let id = blocking(move || advisories::add(&state, &admin.0.principal, &advisory, ip.as_deref())).await?;
    Ok(HttpResponse::Created().json(json!({ "id": id })))
}

pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = path.into_inner();
    let id: i64 = number.parse().map_err(|_| AppError::NotFound(format!("There is no advisory {number}.")))?;
    let (state, ip) = (state.get_ref().clone(), client_ip(&req));
    blocking(move || advisories::remove(&state, &admin.0.principal, id, ip.as_deref())).await?;
    Ok(HttpResponse::NoContent().finish())
}

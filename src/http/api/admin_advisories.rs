//! `/api/admin/advisories`: administrators list, record and remove security advisories (the same
//! service as `galley advisory`). Mounted inside the admin scope, behind its guard.
use crate::domain::advisory::NewAdvisory;
use crate::error::AppError;
use crate::http::call::Call;
use crate::http::session::AdminUser;
use crate::services::advisories;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub async fn list(call: Call, _admin: AdminUser) -> Result<HttpResponse, AppError> {
    let rows = call.run(|state, _| advisories::list(state)).await?;
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

pub async fn add(call: Call, admin: AdminUser, body: web::Json<AdvisoryBody>) -> Result<HttpResponse, AppError> {
    let advisory = NewAdvisory::parse(&body.id, &body.range, &body.severity, &body.url)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let id = call.run(move |state, ip| advisories::add(state, &admin.0.principal, &advisory, ip)).await?;
    Ok(HttpResponse::Created().json(json!({ "id": id })))
}

pub async fn remove(call: Call, admin: AdminUser, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let number = path.into_inner();
    let id: i64 = number.parse().map_err(|_| AppError::NotFound(format!("There is no advisory {number}.")))?;
    call.run(move |state, ip| advisories::remove(state, &admin.0.principal, id, ip)).await?;
    Ok(HttpResponse::NoContent().finish())
}

//! `VulnerabilityInfo/6.7.0`: the index of vulnerability pages and the pages themselves, read by
//! NuGet 6.7+ restores (`NuGetAudit`). Built per request: one small query, and clients fetch it once
//! per restore at most (they cache the pages by the index's `@updated`).
use crate::error::AppError;
use crate::http::call::Call;
use crate::protocol::v3;
use crate::services::advisories;
use actix_web::{web, HttpResponse};

pub async fn index(call: Call) -> Result<HttpResponse, AppError> {
    let (_, updated) = call.run(|state, _| advisories::page(state)).await?;
    Ok(HttpResponse::Ok().json(v3::vulnerability_index(&call.state().urls, &updated)))
}

pub async fn page(call: Call, name: web::Path<String>) -> Result<HttpResponse, AppError> {
    match name.as_str() {
        "base.json" => {
            let (page, _) = call.run(|state, _| advisories::page(state)).await?;
            Ok(HttpResponse::Ok().json(page))
        }
        "update.json" => Ok(HttpResponse::Ok().json(advisories::VulnerabilityPage::new())),
        _ => Err(AppError::NotFound("There is no such vulnerability page.".into())),
    }
}

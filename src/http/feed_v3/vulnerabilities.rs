//! `VulnerabilityInfo/6.7.0`: the index of vulnerability pages and the pages themselves, read by
//! NuGet 6.7+ restores (`NuGetAudit`). Built per request: one small query, and clients fetch it once
//! per restore at most (they cache the pages by the index's `@updated`).
use crate::error::AppError;
use crate::protocol::v3;
use crate::services::{advisories, blocking};
use crate::state::AppState;
use actix_web::{web, HttpResponse};

pub async fn index(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let st = state.get_ref().clone();
    let (_, updated) = blocking(move || advisories::page(&st)).await?;
    Ok(HttpResponse::Ok().json(v3::vulnerability_index(&state.urls, &updated)))
}

pub async fn page(state: web::Data<AppState>, name: web::Path<String>) -> Result<HttpResponse, AppError> {
    match name.as_str() {
        "base.json" => {
            let st = state.get_ref().clone();
            let (page, _) = blocking(move || advisories::page(&st)).await?;
            Ok(HttpResponse::Ok().json(page))
        }
        "update.json" => Ok(HttpResponse::Ok().json(advisories::VulnerabilityPage::new())),
        _ => Err(AppError::NotFound("There is no such vulnerability page.".into())),
    }
}

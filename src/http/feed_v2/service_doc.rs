//! `GET /api/v2/` (the Atom Publishing service document) and `GET /api/v2/$metadata` (the EDMX).
use crate::error::AppError;
use crate::protocol::v2_metadata::{self, CONTENT_TYPE};
use crate::state::AppState;
use actix_web::{web, HttpResponse};

pub async fn service_document(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let body = v2_metadata::service_document(&state.urls).map_err(AppError::internal)?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(body))
}

pub fn metadata() -> Result<HttpResponse, AppError> {
    let body = v2_metadata::metadata().map_err(AppError::internal)?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(body))
}

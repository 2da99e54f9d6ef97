//! `GET /health`: liveness and a summary for monitoring.
use crate::error::AppError;
use crate::services::blocking;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub async fn health(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let state = state.get_ref().clone();
    let counts = blocking(move || Ok(crate::db::packages::count_packages(&*state.conn()?)?)).await;
    Ok(match counts {
        Ok((packages, versions)) => HttpResponse::Ok().json(json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "database": "ok",
            "packages": packages,
            "versions": versions,
        })),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable().json(json!({
                "status": "unavailable",
                "version": env!("CARGO_PKG_VERSION"),
                "database": "error",
            }))
        }
    })
}

//! `GET /v3/index.json`: every resource this server offers, with the `@type`s clients probe.
use crate::protocol::v3;
use crate::state::AppState;
use actix_web::{web, HttpResponse};

pub async fn index(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(v3::service_index(&state.urls))
}

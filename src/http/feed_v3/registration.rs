//! `RegistrationsBaseUrl` hives: index, pages and leaves, served from rendered documents.
use crate::domain::version::NuGetVersion;
use crate::error::AppError;
use crate::http::files::{self, not_found};
use crate::protocol::urls::Hive;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};

fn hive(name: &str) -> Result<Hive, AppError> {
    Hive::from_path(name).ok_or_else(not_found)
}

pub async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (hive_name, id) = path.into_inner();
    let hive = hive(&hive_name)?;
    let id_lower = id.to_ascii_lowercase();
    let set = state.docs.lookup(&id_lower).ok_or_else(not_found)?;
    files::serve_document(&req, &state.docs, &id_lower, &set, &set.registration(hive, "index"), hive.gzipped()).await
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (hive_name, id, lower, upper) = path.into_inner();
    let hive = hive(&hive_name)?;
    let id_lower = id.to_ascii_lowercase();
    let set = state.docs.lookup(&id_lower).ok_or_else(not_found)?;
    let (lower, upper) = (lower.to_ascii_lowercase(), upper.to_ascii_lowercase());
    if !set.versions.contains(&lower) || !set.versions.contains(&upper) {
        return Err(not_found());
    }
    files::serve_document(
        &req,
        &state.docs,
        &id_lower,
        &set,
        &set.registration(hive, &format!("page-{lower}-{upper}")),
        hive.gzipped(),
    )
    .await
}

pub async fn leaf(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (hive_name, id, leaf) = path.into_inner();
    let hive = hive(&hive_name)?;
    let version = leaf.strip_suffix(".json").ok_or_else(not_found)?;
    let version_lower = NuGetVersion::parse(version).map_err(|_| not_found())?.lower_normalized();
    let id_lower = id.to_ascii_lowercase();
    let set = state.docs.lookup(&id_lower).ok_or_else(not_found)?;
    if !set.versions.contains(&version_lower) {
        return Err(not_found());
    }
    files::serve_document(&req, &state.docs, &id_lower, &set, &set.registration(hive, &version_lower), hive.gzipped())
        .await
}

//! `GET|HEAD /api/v2/package/{id}/{version}` and `/api/v2/package/{id}` (latest): the same bytes
//! and headers as the flat container. These resources are guarded to GET and HEAD; PUT, DELETE
//! and POST on the same paths reach the publish routes.
use crate::error::AppError;
use crate::http::call::Call;
use crate::http::files::{self, not_found};
use crate::http::package_path::{IdPath, IdVersionPath};
use crate::services::{feed_v2, mirror};
use crate::state::AppState;
use actix_web::{guard, web, HttpRequest, HttpResponse, Resource};

fn read_only(paths: [&str; 2]) -> Resource {
    web::resource(paths.map(str::to_owned).to_vec()).guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// Mounted inside the v2 scope (`/api/v2`), before its OData routes.
pub fn resources() -> Vec<Resource> {
    vec![
        read_only(["/package/{id}/{version}", "/package/{id}/{version}/"]).to(by_version),
        read_only(["/package/{id}", "/package/{id}/"]).to(latest),
    ]
}

async fn by_version(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: IdVersionPath,
) -> Result<HttpResponse, AppError> {
    files::serve_package(&req, &state, &path.id_lower, &path.version_lower).await
}

async fn latest(req: HttpRequest, call: Call, IdPath { id_lower, .. }: IdPath) -> Result<HttpResponse, AppError> {
    let lookup_id = id_lower.clone();
    let local = call.run(move |state, _| feed_v2::latest_version(state, &lookup_id)).await?;
    let state = call.state();
    let version_lower = match local {
        Some(version) => version,
        // Not here: an upstream's latest, read through like any other download.
        None if state.mirror.enabled() => mirror::v2::latest_version(state, &id_lower).await?.ok_or_else(not_found)?,
        None => return Err(not_found()),
    };
    files::serve_package(&req, state, &id_lower, &version_lower).await
}

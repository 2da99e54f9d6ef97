//! `RegistrationsBaseUrl` hives: index, pages and leaves, served from rendered documents.
use crate::cache::feed_docs::DocSet;
use crate::domain::version::NuGetVersion;
use crate::error::AppError;
use crate::http::files::{self, not_found};
use crate::http::package_path::{segment, IdPath};
use crate::protocol::urls::Hive;
use crate::services::mirror;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use std::sync::Arc;

fn hive(name: &str) -> Result<Hive, AppError> {
    Hive::from_path(name).ok_or_else(not_found)
}

/// The id's rendered documents when it is local; for a mirrored or unknown id the upstream's
/// document `rest` is served (`Err(response)`), or, when the upstream cannot answer, the rendered
/// documents of the versions fetched so far.
async fn local_or_upstream(
    req: &HttpRequest,
    state: &AppState,
    hive: Hive,
    id_lower: &str,
    rest: &str,
) -> Result<Result<Arc<DocSet>, HttpResponse>, AppError> {
    let set = state.docs.lookup_async(id_lower).await;
    if set.as_ref().is_none_or(|s| s.upstream.is_some()) && state.mirror.enabled() {
        match mirror::metadata::registration(state, hive, id_lower, rest).await {
            Ok(Some(doc)) => return Ok(Err(files::serve_upstream_document(req, &doc))),
            Ok(None) => {}
            Err(e) => tracing::warn!(id = %id_lower, error = %e, "upstream registration failed"),
        }
    }
    set.map(Ok).ok_or_else(not_found)
}

pub async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    IdPath { id_lower, .. }: IdPath,
) -> Result<HttpResponse, AppError> {
    let hive = hive(&segment(&req, "hive"))?;
    let set = match local_or_upstream(&req, &state, hive, &id_lower, "index.json").await? {
        Ok(set) => set,
        Err(response) => return Ok(response),
    };
    files::serve_document(&req, &state.docs, &id_lower, &set, &set.registration(hive, "index"), hive.gzipped()).await
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    IdPath { id_lower, .. }: IdPath,
) -> Result<HttpResponse, AppError> {
    let hive = hive(&segment(&req, "hive"))?;
    // The bounds are matched against the keys as written (not parsed): a page URL is one the
    // index handed out.
    let lower = segment(&req, "lower").to_ascii_lowercase();
    let upper = segment(&req, "upper").to_ascii_lowercase();
    let rest = format!("page/{lower}/{upper}.json");
    let set = match local_or_upstream(&req, &state, hive, &id_lower, &rest).await? {
        Ok(set) => set,
        Err(response) => return Ok(response),
    };
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
    IdPath { id_lower, .. }: IdPath,
) -> Result<HttpResponse, AppError> {
    let hive = hive(&segment(&req, "hive"))?;
    let leaf = segment(&req, "leaf");
    let version = leaf.strip_suffix(".json").ok_or_else(not_found)?;
    let version_lower = NuGetVersion::parse(version).map_err(|_| not_found())?.lower_normalized();
    let set = match local_or_upstream(&req, &state, hive, &id_lower, &leaf).await? {
        Ok(set) => set,
        Err(response) => return Ok(response),
    };
    if !set.versions.contains(&version_lower) {
        return Err(not_found());
    }
    files::serve_document(&req, &state.docs, &id_lower, &set, &set.registration(hive, &version_lower), hive.gzipped())
        .await
}

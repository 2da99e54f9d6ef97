//! PackageBaseAddress/3.0.0: version lists and package files, served from rendered documents.
use crate::error::AppError;
use crate::http::files::{self, not_found, IconFormat, PackageContent, PACKAGE_CACHE};
use crate::http::package_path::{segment, IdPath, IdVersionPath};
use crate::services::mirror;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};

pub async fn versions(
    req: HttpRequest,
    state: web::Data<AppState>,
    IdPath { id_lower, .. }: IdPath,
) -> Result<HttpResponse, AppError> {
    let set = state.docs.lookup_async(&id_lower).await;
    // A local id: the rendered document, as always. A mirrored or unknown one: the upstream's
    // list (with what was fetched here); the rendered one when the upstream cannot answer.
    if set.as_ref().is_none_or(|s| s.upstream.is_some()) && state.mirror.enabled() {
        let fetched: Vec<&String> = set.iter().flat_map(|s| s.versions.iter()).collect();
        if let Some(doc) = mirror::metadata::flat_index(&state, &id_lower, &fetched).await.unwrap_or_else(|e| {
            tracing::warn!(id = %id_lower, error = %e, "upstream version list failed");
            None
        }) {
            return Ok(files::serve_upstream_document(&req, &doc));
        }
    }
    let set = set.ok_or_else(not_found)?;
    files::serve_document(&req, &state.docs, &id_lower, &set, &set.flat_index(), false).await
}

/// `{id}/{version}/{id}.{version}.nupkg`, `{id}/{version}/{id}.nuspec`, `.../readme`, `.../icon`.
pub async fn file(req: HttpRequest, state: web::Data<AppState>, path: IdVersionPath) -> Result<HttpResponse, AppError> {
    let IdVersionPath { id_lower, version_lower, .. } = path;
    // The file name is matched case-insensitively, as nuget.org's blob URLs are.
    let file_lower = segment(&req, "file").to_ascii_lowercase();
    if is_package_name(&file_lower, &id_lower, &version_lower) {
        return files::serve_package(&req, &state, &id_lower, &version_lower).await;
    }
    let set = files::available_set(&state, &id_lower, &version_lower).await?;
    if file_lower == format!("{id_lower}.nuspec") {
        let path = files::local_path(&state, state.store.nuspec_path(&id_lower, &version_lower)).await?;
        return files::serve_file(&req, &path, PackageContent::Text, PACKAGE_CACHE);
    }
    if file_lower == "readme" && set.readmes.contains(&version_lower) {
        let path = files::local_path(&state, state.store.extra_path(&id_lower, &version_lower, "readme")).await?;
        return files::serve_file(&req, &path, PackageContent::Text, PACKAGE_CACHE);
    }
    if file_lower == "icon" && set.icons.contains(&version_lower) {
        let path = files::local_path(&state, state.store.extra_path(&id_lower, &version_lower, "icon")).await?;
        let format = IconFormat::sniff(&read_head(&path).await);
        return files::serve_file(&req, &path, PackageContent::Icon(format), PACKAGE_CACHE);
    }
    Err(not_found())
}

/// `{id}.{version}.nupkg`, compared in place: this runs on every package download.
fn is_package_name(file_lower: &str, id_lower: &str, version_lower: &str) -> bool {
    file_lower
        .strip_prefix(id_lower)
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|rest| rest.strip_prefix(version_lower))
        .is_some_and(|rest| rest == ".nupkg")
}

/// The first bytes of a stored file (empty when it cannot be read: then `serve_file` answers).
async fn read_head(path: &std::path::Path) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut head = Vec::with_capacity(16);
    if let Ok(file) = tokio::fs::File::open(path).await {
        let _ = file.take(16).read_to_end(&mut head).await;
    }
    head
}

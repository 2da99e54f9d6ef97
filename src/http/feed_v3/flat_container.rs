//! PackageBaseAddress/3.0.0: version lists and package files, served from rendered documents.
use crate::domain::version::NuGetVersion;
use crate::error::AppError;
use crate::http::files::{self, not_found, PACKAGE_CACHE};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};

pub async fn versions(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id_lower = path.to_ascii_lowercase();
    let set = state.docs.lookup(&id_lower).ok_or_else(not_found)?;
    files::serve_document(&req, &state.docs, &id_lower, &set, &set.flat_index(), false).await
}

/// `{id}/{version}/{id}.{version}.nupkg`, `{id}/{version}/{id}.nuspec`, `.../readme`, `.../icon`.
pub async fn file(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, version, file) = path.into_inner();
    let id_lower = id.to_ascii_lowercase();
    let version_lower = NuGetVersion::parse(&version).map_err(|_| not_found())?.lower_normalized();
    let file_lower = file.to_ascii_lowercase();
    if file_lower == format!("{id_lower}.{version_lower}.nupkg") {
        return files::serve_package(&req, &state, &id_lower, &version_lower).await;
    }
    let set = state.docs.lookup(&id_lower).ok_or_else(not_found)?;
    if !set.versions.contains(&version_lower) {
        return Err(not_found());
    }
    if file_lower == format!("{id_lower}.nuspec") {
        return files::serve_file(
            &req,
            &state.store.nuspec_path(&id_lower, &version_lower),
            "application/xml",
            PACKAGE_CACHE,
        );
    }
    if file_lower == "readme" && set.readmes.contains(&version_lower) {
        let path = state.store.extra_path(&id_lower, &version_lower, "readme");
        return files::serve_file(&req, &path, "text/markdown; charset=utf-8", PACKAGE_CACHE);
    }
    if file_lower == "icon" && set.icons.contains(&version_lower) {
        let path = state.store.extra_path(&id_lower, &version_lower, "icon");
        let head = std::fs::read(&path).map(|b| b.into_iter().take(8).collect::<Vec<u8>>()).unwrap_or_default();
        return files::serve_file(&req, &path, icon_type(&head), PACKAGE_CACHE);
    }
    Err(not_found())
}

/// Icons are PNG or JPEG by nuget.org's rules; the bytes say which.
fn icon_type(head: &[u8]) -> &'static str {
    if head.starts_with(b"\x89PNG") {
        "image/png"
    } else if head.starts_with(b"\xFF\xD8") {
        "image/jpeg"
    } else if head.starts_with(b"GIF8") {
        "image/gif"
    } else {
        "application/octet-stream"
    }
}

//! The page of a package that an upstream supplies but this server has not stored yet (a search
//! hit from an upstream with `search = true` links here): where it comes from, its versions, and
//! how to install it through this server.
use super::layout::{self, Layout};
use crate::domain::id::PackageId;
use crate::domain::version::NuGetVersion;
use crate::error::AppError;
use crate::services::mirror;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "upstream_package.html")]
struct UpstreamPackagePage {
    layout: Layout,
    id: String,
    upstream: String,
    latest: String,
    install: String,
    /// Newest first.
    versions: Vec<String>,
}

/// The page for `id`, or `not_found` when no upstream may supply it (it is local, reserved,
/// excluded) or none has it.
pub async fn page(
    req: &HttpRequest,
    state: &AppState,
    id: &PackageId,
    not_found: AppError,
) -> Result<HttpResponse, AppError> {
    let Some(list) = mirror::metadata::versions(state, &id.lower()).await? else {
        return Err(not_found);
    };
    let mut versions: Vec<NuGetVersion> = list.versions.iter().filter_map(|v| NuGetVersion::parse(v).ok()).collect();
    versions.sort();
    versions.reverse();
    let versions: Vec<String> = versions.iter().map(NuGetVersion::lower_normalized).collect();
    let Some(latest) = versions.first().cloned() else {
        return Err(not_found);
    };
    layout::render(&UpstreamPackagePage {
        layout: Layout::new(state, req, id.to_string()).current("packages"),
        upstream: state.mirror.upstreams[list.upstream].name().to_owned(),
        install: format!("dotnet add package {id} --version {latest}"),
        id: id.to_string(),
        latest,
        versions,
    })
}

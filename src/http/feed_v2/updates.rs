//! `GetUpdates()?packageIds='A|B'&versions='1.0|2.0'&includePrerelease=…&includeAllVersions=…
//! &targetFrameworks='…'&versionConstraints='…'` and its `/$count`.
use super::common::{count_response, feed_response, render_feed, V2Request};
use crate::error::AppError;
use crate::services::blocking;
use crate::services::feed_v2::{updates, UpdatesRequest};
use crate::state::AppState;
use actix_web::HttpResponse;

fn parameters(request: &V2Request) -> Result<UpdatesRequest, AppError> {
    // Validated for its quoting; see services::feed_v2::updates for why it does not narrow.
    request.string("targetFrameworks")?;
    Ok(UpdatesRequest {
        package_ids: request.string("packageIds")?,
        versions: request.string("versions")?,
        include_prerelease: request.flag("includePrerelease")?,
        include_all_versions: request.flag("includeAllVersions")?,
        version_constraints: request.string("versionConstraints")?,
    })
}

pub async fn list(state: AppState, request: V2Request) -> Result<HttpResponse, AppError> {
    let parameters = parameters(&request)?;
    let body = blocking(move || {
        let page = updates::list(&state, &parameters, &request.options, request.semver2)?;
        render_feed(&state, &request, "GetUpdates", "GetUpdates()", &page)
    })
    .await?;
    Ok(feed_response(body))
}

pub async fn count(state: AppState, request: V2Request) -> Result<HttpResponse, AppError> {
    let parameters = parameters(&request)?;
    let n = blocking(move || updates::count(&state, &parameters, &request.options, request.semver2)).await?;
    Ok(count_response(n))
}

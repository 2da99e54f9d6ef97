//! `Search()?searchTerm='…'&targetFramework='…'&includePrerelease=…` and `Search()/$count`.
//! `targetFramework` is accepted and ignored, as nuget.org's search does. Upstreams with
//! `search = true` add their hits after the local entries (`services::mirror::search`).
use super::common::{count_response, feed_response, render_feed, V2Request};
use crate::error::AppError;
use crate::services::blocking;
use crate::services::feed_v2::Source;
use crate::services::mirror;
use crate::state::AppState;
use actix_web::HttpResponse;

fn source(request: &V2Request) -> Result<Source, AppError> {
    let term = crate::services::search::checked_query(request.string("searchTerm")?)?;
    Ok(Source::Search { term, include_prerelease: request.flag("includePrerelease")? })
}

pub async fn list(state: AppState, request: V2Request) -> Result<HttpResponse, AppError> {
    let source = source(&request)?;
    let page = mirror::search::v2_search(state.clone(), source, request.options.clone(), request.semver2).await?;
    let body = blocking(move || render_feed(&state, &request, "Search", "Search()", &page)).await?;
    Ok(feed_response(body))
}

pub async fn count(state: AppState, request: V2Request) -> Result<HttpResponse, AppError> {
    let source = source(&request)?;
    let n = mirror::search::v2_search_count(state, source, request.options.clone(), request.semver2).await?;
    Ok(count_response(n))
}

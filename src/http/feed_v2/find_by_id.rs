//! `FindPackagesById()?id='…'`: every available version of an id, unlisted ones included (the
//! restore path of v2 clients), and its `/$count`.
use super::common::{count_response, feed_response, render_feed, V2Request};
use crate::error::AppError;
use crate::services::blocking;
use crate::services::feed_v2::{self, Source};
use crate::state::AppState;
use actix_web::HttpResponse;

pub async fn list(state: AppState, request: V2Request) -> Result<HttpResponse, AppError> {
    let source = Source::FindPackagesById { id: request.string("id")? };
    let body = blocking(move || {
        let page = feed_v2::list(&state, &source, &request.options, request.semver2)?;
        render_feed(&state, &request, "FindPackagesById", "FindPackagesById()", &page)
    })
    .await?;
    Ok(feed_response(body))
}

pub async fn count(state: AppState, request: V2Request) -> Result<HttpResponse, AppError> {
    let source = Source::FindPackagesById { id: request.string("id")? };
    let n = blocking(move || feed_v2::count(&state, &source, &request.options, request.semver2)).await?;
    Ok(count_response(n))
}

//! `FindPackagesById()?id='…'`: every available version of an id, unlisted ones included (the
//! restore path of v2 clients), and its `/$count`.
//!
//! The plain form clients send on restore (`id` and `semVerLevel` only) is answered from memory:
//! the answer changes only with the id's documents or the download counts, and the cache key
//! carries both, so a restore runs no SQL.
use super::common::{count_response, feed_response, render_feed, V2Request};
use crate::cache::feed_docs::AnswerKey;
use crate::domain::id::PackageId;
use crate::error::AppError;
use crate::protocol::odata_query::QueryOptions;
use crate::services::blocking;
use crate::services::feed_v2::{self, FeedPage, Source};
use crate::services::mirror;
use crate::state::AppState;
use actix_web::web::Bytes;
use actix_web::HttpResponse;

pub async fn list(state: &AppState, request: V2Request) -> Result<HttpResponse, AppError> {
    // Folded once: the cache, the upstream and the database all take the key.
    let id_lower = PackageId::key_of(request.string("id")?);
    let key = cache_key(state, &id_lower, &request).await;
    if let Some(bytes) = key.as_ref().and_then(|k| state.docs.cached_answer(k)) {
        return Ok(feed_response(bytes));
    }
    if let Some(body) = upstream_answer(state, &id_lower, &request).await? {
        return Ok(feed_response(body));
    }
    let source = Source::FindPackagesById { id_lower };
    let rendering = state.clone();
    let body = blocking(move || {
        let page = feed_v2::list(&rendering, &source, &request.options, request.semver2)?;
        render_feed(&rendering, &request, "FindPackagesById", "FindPackagesById()", &page)
    })
    .await?;
    let body = match key {
        Some(key) => state.docs.cache_answer(key, body),
        None => Bytes::from(body),
    };
    Ok(feed_response(body))
}

/// The plain request for a mirrored or unknown id: the upstream's versions (a local id never
/// gets here; with query options, or when no upstream answers, the database answers).
async fn upstream_answer(state: &AppState, id_lower: &str, request: &V2Request) -> Result<Option<Bytes>, AppError> {
    if !state.mirror.enabled()
        || request.options != QueryOptions::default()
        || state.docs.lookup(id_lower).is_some_and(|s| s.upstream.is_none())
    {
        return Ok(None);
    }
    let entries = match mirror::v2::entries(state, id_lower, request.semver2).await {
        Ok(Some(entries)) => entries,
        Ok(None) => return Ok(None),
        Err(e) => {
            tracing::warn!(id = %id_lower, error = %e, "upstream v2 answer failed");
            return Ok(None);
        }
    };
    let (state, request) = (state.clone(), request.clone());
    let body = blocking(move || {
        let page = FeedPage { entries, count: None, next: None };
        render_feed(&state, &request, "FindPackagesById", "FindPackagesById()", &page)
    })
    .await?;
    Ok(Some(Bytes::from(body)))
}

/// The cache key of a plain request for an id that has documents; `None` when the request has
/// query options or the id has no available version (those take the database path).
async fn cache_key(state: &AppState, id_lower: &str, request: &V2Request) -> Option<AnswerKey> {
    if request.options != QueryOptions::default() {
        return None;
    }
    let set = state.docs.lookup_async(id_lower).await?;
    Some(AnswerKey {
        kind: "v2-find-packages-by-id",
        id_lower: id_lower.to_owned(),
        generation: set.generation.clone(),
        variant: if request.semver2 { "semver2" } else { "semver1" }.to_owned(),
        downloads_epoch: state.downloads.epoch(),
    })
}

pub async fn count(state: AppState, request: V2Request) -> Result<HttpResponse, AppError> {
    let source = Source::FindPackagesById { id_lower: PackageId::key_of(request.string("id")?) };
    let n = blocking(move || feed_v2::count(&state, &source, &request.options, request.semver2)).await?;
    Ok(count_response(n))
}

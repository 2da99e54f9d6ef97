//! `Packages()` (listing with `$filter`/`$orderby`/paging), `Packages()/$count` and the single
//! entry `Packages(Id='…',Version='…')`.
use super::common::{count_response, entry_response, feed_response, render_feed, V2Request};
use crate::domain::records::EntryRecord;
use crate::error::AppError;
use crate::http::package_path::IdVersionPath;
use crate::protocol::v2_atom;
use crate::services::blocking;
use crate::services::feed_v2::{self, Source};
use crate::services::mirror;
use crate::state::AppState;
use actix_web::HttpResponse;

pub async fn list(state: AppState, request: V2Request) -> Result<HttpResponse, AppError> {
    let body = blocking(move || {
        let page = feed_v2::list(&state, &Source::Packages, &request.options, request.semver2)?;
        render_feed(&state, &request, "Packages", "Packages", &page)
    })
    .await?;
    Ok(feed_response(body))
}

pub async fn count(state: AppState, request: V2Request) -> Result<HttpResponse, AppError> {
    let n = blocking(move || feed_v2::count(&state, &Source::Packages, &request.options, request.semver2)).await?;
    Ok(count_response(n))
}

/// One version by id (any case) and version (any spelling of it); 404 when it is not there.
pub async fn entry(state: AppState, request: V2Request, id: String, version: String) -> Result<HttpResponse, AppError> {
    if request.options.filter.is_some()
        || !request.options.orderby.is_empty()
        || request.options.skip > 0
        || request.options.top.is_some()
    {
        return Err(AppError::BadRequest("A single entry takes no $filter, $orderby, $skip or $top.".into()));
    }
    let not_found = || AppError::NotFound(format!("The package '{id}' version '{version}' does not exist."));
    // Not an id or a version: nothing can be stored under it, here or upstream.
    let path = IdVersionPath::try_parse(&id, &version).ok_or_else(not_found)?;
    let (db_state, keys) = (state.clone(), path.clone());
    let local =
        blocking(move || feed_v2::entry(&db_state, &keys.id_lower, &keys.version_lower, request.semver2)).await?;
    let entry = match local {
        Some(entry) => entry,
        None => upstream_entry(&state, &path, request.semver2).await.ok_or_else(not_found)?,
    };
    let body = blocking(move || {
        v2_atom::entry(&state.urls, &entry, request.options.select.as_deref()).map_err(AppError::internal)
    })
    .await?;
    Ok(entry_response(body))
}

/// The version of a mirrored or unknown id as its upstream lists it (a local id never gets here:
/// its versions are all in the database).
async fn upstream_entry(state: &AppState, path: &IdVersionPath, semver2: bool) -> Option<EntryRecord> {
    let IdVersionPath { id_lower, version_lower, .. } = path;
    if !state.mirror.enabled() || state.docs.lookup(id_lower).is_some_and(|s| s.upstream.is_none()) {
        return None;
    }
    match mirror::v2::entries(state, id_lower, semver2).await {
        Ok(entries) => entries?.into_iter().find(|e| &e.version.version_lower == version_lower),
        Err(e) => {
            tracing::warn!(id = %id_lower, error = %e, "upstream v2 entry failed");
            None
        }
    }
}

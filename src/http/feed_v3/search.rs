//! `SearchQueryService` and `SearchAutocompleteService` (with the hits of upstreams that join
//! search, after the local ones).
use crate::error::AppError;
use crate::http::call::Call;
use crate::services::mirror;
use crate::services::search::{self, SearchParams, MAX_TAKE};
use actix_web::http::header::ContentType;
use actix_web::{web, HttpResponse};
use std::collections::HashMap;

type Query = web::Query<HashMap<String, String>>;

fn number(q: &HashMap<String, String>, name: &str, default: usize) -> Result<usize, AppError> {
    match q.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| {
            AppError::BadRequest(format!("The '{name}' parameter must be a non-negative integer, not '{v}'."))
        }),
    }
}

fn flag(q: &HashMap<String, String>, name: &str) -> Result<bool, AppError> {
    match q.get(name).map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("" | "false") => Ok(false),
        Some("true") => Ok(true),
        Some(v) => Err(AppError::BadRequest(format!("The '{name}' parameter must be true or false, not '{v}'."))),
    }
}

/// `semVerLevel=2.0.0` (or higher) opts into SemVer 2.0 packages.
fn semver2(q: &HashMap<String, String>) -> Result<bool, AppError> {
    match q.get("semVerLevel").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(false),
        Some(v) => crate::domain::version::NuGetVersion::parse(v).map(|level| level.major() >= 2).map_err(|_| {
            AppError::BadRequest(format!("The 'semVerLevel' parameter must be a version such as 2.0.0, not '{v}'."))
        }),
    }
}

fn params(q: &HashMap<String, String>) -> Result<SearchParams, AppError> {
    let take = number(q, "take", 20)?;
    if take > MAX_TAKE {
        return Err(AppError::BadRequest(format!("The 'take' parameter must be at most {MAX_TAKE}.")));
    }
    Ok(SearchParams {
        q: search::checked_query(q.get("q").cloned().unwrap_or_default())?,
        skip: number(q, "skip", 0)?,
        take,
        prerelease: flag(q, "prerelease")?,
        semver2: semver2(q)?,
        package_type: q.get("packageType").cloned(),
        ..SearchParams::default()
    })
}

pub async fn query(call: Call, q: Query) -> Result<HttpResponse, AppError> {
    let params = params(&q)?;
    let json = call.run_async(|state, _| mirror::search::search_json(state, params)).await?;
    Ok(HttpResponse::Ok().content_type(ContentType::json()).body(json))
}

pub async fn autocomplete(call: Call, q: Query) -> Result<HttpResponse, AppError> {
    let params = params(&q)?;
    let id = q.get("id").cloned();
    let json = call.run_async(|state, _| mirror::search::autocomplete_json(state, params, id)).await?;
    Ok(HttpResponse::Ok().content_type(ContentType::json()).body(json))
}

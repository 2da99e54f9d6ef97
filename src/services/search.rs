//! Search and autocomplete over the FTS5 index, answered in the v3 wire shape.
use crate::db;
use crate::error::AppError;
use crate::protocol::v3::{self, AutocompleteResponse, SearchResponse};
use crate::search::query::{ParsedQuery, SortOrder};
use crate::state::AppState;

pub const MAX_TAKE: usize = 1000;

#[derive(Debug, Clone, Default)]
pub struct SearchParams {
    pub q: String,
    pub skip: usize,
    pub take: usize,
    pub prerelease: bool,
    pub semver2: bool,
    pub package_type: Option<String>,
    pub sort: SortOrder,
}

pub fn search(state: &AppState, p: &SearchParams) -> Result<SearchResponse, AppError> {
    let mut query = ParsedQuery::parse(&p.q);
    query.skip = p.skip;
    query.take = p.take.min(MAX_TAKE);
    query.include_prerelease = p.prerelease;
    query.include_semver2 = p.semver2;
    query.package_type = p.package_type.clone().filter(|t| !t.is_empty());
    query.sort = p.sort;
    let conn = state.conn()?;
    let (total_hits, ids) = db::search::search(&conn, &query)?;
    let mut data = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(package) = db::packages::load_summary(&conn, &id)? {
            data.extend(v3::search_result(&state.urls, &package, p.prerelease, p.semver2));
        }
    }
    Ok(SearchResponse { total_hits, data })
}

pub fn autocomplete_ids(state: &AppState, p: &SearchParams) -> Result<AutocompleteResponse, AppError> {
    let conn = state.conn()?;
    let (total, ids) =
        db::search::autocomplete_ids(&conn, p.q.trim(), p.skip, p.take.min(MAX_TAKE), p.prerelease, p.semver2)?;
    Ok(AutocompleteResponse { total_hits: Some(total), data: ids })
}

/// Listed versions of an id under the flags (autocomplete `?id=`).
pub fn autocomplete_versions(
    state: &AppState,
    id: &str,
    prerelease: bool,
    semver2: bool,
) -> Result<AutocompleteResponse, AppError> {
    let conn = state.conn()?;
    let versions = db::packages::load(&conn, &id.to_ascii_lowercase())?
        .map(|p| {
            p.available()
                .filter(|v| v.listed && (prerelease || !v.is_prerelease) && (semver2 || !v.is_semver2))
                .map(|v| if semver2 { v.version_full.clone() } else { v.version_normalized.clone() })
                .collect()
        })
        .unwrap_or_default();
    Ok(AutocompleteResponse { total_hits: None, data: versions })
}

/// The portal's front page: the most downloaded and the most recently updated packages.
pub struct FrontPage {
    pub popular: Vec<v3::SearchResult>,
    pub recent: Vec<v3::SearchResult>,
    pub package_count: i64,
    pub version_count: i64,
}

/// Blocking: call from a blocking thread.
pub fn front_page(state: &AppState, take: usize) -> Result<FrontPage, AppError> {
    let list = |sort| {
        search(state, &SearchParams { take, prerelease: true, semver2: true, sort, ..SearchParams::default() })
            .map(|r| r.data)
    };
    let (package_count, version_count) = db::packages::count_packages(&*state.conn()?)?;
    Ok(FrontPage {
        popular: list(SortOrder::Downloads)?,
        recent: list(SortOrder::Recent)?,
        package_count,
        version_count,
    })
}

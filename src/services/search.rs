//! Search and autocomplete over the FTS5 index, answered in the v3 wire shape.
use crate::cache::feed_docs::AnswerKey;
use crate::db;
use crate::db::sql::Sql;
use crate::domain::id::PackageId;
use crate::error::AppError;
use crate::protocol::v3::{self, AutocompleteResponse, SearchResponse};
use crate::search::index::SearchIndex;
use crate::search::query::{ParsedQuery, SortOrder};
use crate::state::AppState;
use bytes::Bytes;

pub const MAX_TAKE: usize = 1000;
/// Longer search text is never a real query; refusing it says why instead of scanning for it.
pub const MAX_QUERY_CHARS: usize = 1000;

/// The search text, or a 400 that says it is too long (the one rule for v3, v2 and the portal).
pub fn checked_query(q: String) -> Result<String, AppError> {
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::BadRequest(format!(
            "The search query is longer than {MAX_QUERY_CHARS} characters; shorten it."
        )));
    }
    Ok(q)
}

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

impl SearchParams {
    /// Everything that selects an answer, as one cache key.
    fn cache_variant(&self) -> String {
        format!(
            "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{:?}\u{0}{:?}",
            self.q, self.skip, self.take, self.prerelease, self.semver2, self.package_type, self.sort
        )
    }
}

/// The v3 search answer as JSON, from the answer cache unless the index changed since.
pub fn search_json(state: &AppState, p: &SearchParams) -> Result<Bytes, AppError> {
    cached_json(state, "search", p.cache_variant(), |conn| search_on(conn, state, p))
}

/// The v3 autocomplete answer as JSON: ids by prefix, or the versions of `id`; cached like search.
pub fn autocomplete_json(state: &AppState, p: &SearchParams, id: Option<&str>) -> Result<Bytes, AppError> {
    let variant = format!("{}\u{0}{:?}", p.cache_variant(), id);
    cached_json(state, "autocomplete", variant, |conn| match id {
        Some(id) => autocomplete_versions(conn, id, p.prerelease, p.semver2),
        None => autocomplete_ids(conn, p),
    })
}

/// Serves an answer computed from the search index from the answer cache, keyed by the search
/// generation every change bumps in its own transaction (also one made by another process).
fn cached_json<T: serde::Serialize>(
    state: &AppState,
    kind: &'static str,
    variant: String,
    compute: impl FnOnce(&dyn Sql) -> Result<T, AppError>,
) -> Result<Bytes, AppError> {
    // One read transaction: the generation and the answer come from the same snapshot, so an
    // answer is never filed under a generation its data is older or newer than.
    state.conn()?.snapshot(|snapshot| {
        let generation = db::search::generation(snapshot)?;
        let key = AnswerKey {
            kind,
            id_lower: String::new(),
            generation: generation.to_string(),
            variant,
            downloads_epoch: 0,
        };
        if let Some(bytes) = state.docs.cached_answer(&key) {
            return Ok(bytes);
        }
        let answer = serde_json::to_vec(&compute(snapshot)?).map_err(AppError::internal)?;
        Ok(state.docs.cache_answer(key, answer))
    })
}

/// Builds the in-memory search index now (the server at start); blocking.
pub fn warm_index(state: &AppState) -> Result<(), AppError> {
    state.conn()?.snapshot(|snapshot| Ok::<(), AppError>(state.search.warm(snapshot)?))
}

/// Blocking: call from a blocking thread. Uncached (the portal renders its own page from it).
pub fn search(state: &AppState, p: &SearchParams) -> Result<SearchResponse, AppError> {
    search_on(&state.conn()?, state, p)
}

/// Blocking: id autocomplete, uncached (the upstream merge in `mirror::search` adds to it).
pub fn autocomplete(state: &AppState, p: &SearchParams) -> Result<AutocompleteResponse, AppError> {
    autocomplete_ids(&state.conn()?, p)
}

fn search_on(conn: &dyn Sql, state: &AppState, p: &SearchParams) -> Result<SearchResponse, AppError> {
    let mut query = ParsedQuery::parse(&p.q);
    query.skip = p.skip;
    query.take = p.take.min(MAX_TAKE);
    query.include_prerelease = p.prerelease;
    query.include_semver2 = p.semver2;
    query.package_type = p.package_type.clone().filter(|t| !t.is_empty());
    query.sort = p.sort;
    let (total_hits, page) = if SearchIndex::answers(&query) {
        let visible = db::search::visibility::required(query.include_prerelease, query.include_semver2);
        state.search.search_page(conn, &query, visible)?
    } else {
        let (total_hits, ids) = db::search::search(conn, &query)?;
        let entries = state.search.entries(conn, &ids)?;
        (total_hits, ids.into_iter().zip(entries).collect())
    };
    // Each hit from its search entry: held in memory (a page costs no SQL, bench/RESULTS.md), or
    // read for the page when past `[cache] search_mb`. An id without one is shown by no search.
    let data = page
        .into_iter()
        .filter_map(|(_, entry)| v3::search_result_of(&state.urls, &*entry?, p.prerelease, p.semver2))
        .collect();
    Ok(SearchResponse { total_hits, data })
}

fn autocomplete_ids(conn: &dyn Sql, p: &SearchParams) -> Result<AutocompleteResponse, AppError> {
    let (total, ids) =
        db::search::autocomplete_ids(conn, p.q.trim(), p.skip, p.take.min(MAX_TAKE), p.prerelease, p.semver2)?;
    Ok(AutocompleteResponse { total_hits: Some(total), data: ids })
}

/// Listed versions of an id under the flags (autocomplete `?id=`).
fn autocomplete_versions(
    conn: &dyn Sql,
    id: &str,
    prerelease: bool,
    semver2: bool,
) -> Result<AutocompleteResponse, AppError> {
    let versions = db::packages::load(conn, &PackageId::key_of(id))?
        .map(|p| {
            p.searchable(prerelease, semver2)
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
    let (package_count, version_count) = db::packages::count_packages(&state.conn()?)?;
    Ok(FrontPage {
        popular: list(SortOrder::Downloads)?,
        recent: list(SortOrder::Recent)?,
        package_count,
        version_count,
    })
}

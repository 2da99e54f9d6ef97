//! Upstream hits in search: for upstreams with `search = true`, v3 search, autocomplete and the
//! portal list the upstream's hits after every local one, as if the two were one list (`skip` and
//! `take` run over local hits first, then each upstream's in configuration order; `totalHits` is
//! the sum). A hit passes the same guard as a restore: an id held locally, under a reserved
//! prefix, or outside the upstream's include/exclude is never listed from an upstream, so a
//! search cannot show what a restore would refuse; an id already mirrored here is local
//! search's to list, never twice. Upstream pages are cached for the upstream's
//! `metadata_ttl_minutes` and served stale while it fails; an upstream that fails with nothing
//! cached adds nothing, and search answers with the local hits (never a 5xx).
use super::guard;
use super::v2;
use crate::cache::mirror::SearchPage;
use crate::domain::id::PackageId;
use crate::error::AppError;
use crate::protocol::odata_filter::{CompareOp, Expr};
use crate::protocol::odata_query::QueryOptions;
use crate::protocol::urls::Hive;
use crate::protocol::v3::{AutocompleteResponse, SearchResponse};
use crate::protocol::v3_upstream;
use crate::services::blocking;
use crate::services::feed_v2::{self, FeedPage, Source};
use crate::services::search::{self, SearchParams};
use crate::state::AppState;
use crate::upstream::client::SearchQuery;
use crate::upstream::Fetched;
use bytes::Bytes;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// The v3 search answer as JSON, with upstream hits when an upstream joins search.
pub async fn search_json(state: AppState, p: SearchParams) -> Result<Bytes, AppError> {
    if !state.mirror.searches_upstreams() {
        return blocking(move || search::search_json(&state, &p)).await;
    }
    to_json(&search(state, p).await?)
}

/// The v3 autocomplete answer as JSON; ids of upstreams that join search follow the local ones.
/// The versions of one id (`id=`) are the local ones only: a restore asks the flat container.
pub async fn autocomplete_json(state: AppState, p: SearchParams, id: Option<String>) -> Result<Bytes, AppError> {
    if id.is_some() || !state.mirror.searches_upstreams() {
        return blocking(move || search::autocomplete_json(&state, &p, id.as_deref())).await;
    }
    let local = {
        let (state, p) = (state.clone(), p.clone());
        blocking(move || search::autocomplete(&state, &p)).await?
    };
    to_json(&merge_autocomplete(&state, &p, local).await?)
}

/// Search for the portal and the feeds: local hits, then upstream ones.
pub async fn search(state: AppState, p: SearchParams) -> Result<SearchResponse, AppError> {
    let local = {
        let (state, p) = (state.clone(), p.clone());
        blocking(move || search::search(&state, &p)).await?
    };
    if !state.mirror.searches_upstreams() {
        return Ok(local);
    }
    merge_search(&state, &p, local).await
}

fn to_json(value: &impl serde::Serialize) -> Result<Bytes, AppError> {
    Ok(Bytes::from(serde_json::to_vec(value).map_err(AppError::internal)?))
}

/// Which page of the combined list an upstream still has to fill.
struct Window {
    skip: usize,
    wanted: usize,
}

impl Window {
    /// What is left after the local hits: `local_total` of them, `local_shown` on this page.
    fn after_local(p: &SearchParams, local_total: usize, local_shown: usize) -> Self {
        Self { skip: p.skip.saturating_sub(local_total), wanted: p.take.saturating_sub(local_shown) }
    }

    /// Accounts for one upstream's page (`total` hits in all) of which `used` were shown.
    fn advance(&mut self, total: usize, used: usize) {
        self.skip = self.skip.saturating_sub(total);
        self.wanted -= used.min(self.wanted);
    }
}

async fn merge_search(
    state: &AppState,
    p: &SearchParams,
    mut response: SearchResponse,
) -> Result<SearchResponse, AppError> {
    let hive = if p.semver2 { Hive::GzipSemVer2 } else { Hive::Legacy };
    let mut window = Window::after_local(p, response.total_hits, response.data.len());
    let mut seen: HashSet<String> = response.data.iter().map(|r| PackageId::key_of(&r.id)).collect();
    for index in search_upstreams(state) {
        let Some((total, hits)) = upstream_slice(state, index, Kind::Search, p, &window).await else {
            continue;
        };
        response.total_hits += total;
        let name = state.mirror.upstreams[index].name();
        let hits: Vec<_> = hits
            .iter()
            .take(window.wanted)
            .filter_map(|hit| v3_upstream::search_result(&state.urls, hive, hit, name))
            .collect();
        let used = hits.len();
        let listable = guard::listable(state, index, hits.iter().map(|h| h.id.clone()).collect()).await?;
        response.data.extend(
            hits.into_iter()
                .filter(|h| listable.contains(&PackageId::key_of(&h.id)) && seen.insert(PackageId::key_of(&h.id))),
        );
        window.advance(total, used);
    }
    Ok(response)
}

async fn merge_autocomplete(
    state: &AppState,
    p: &SearchParams,
    mut response: AutocompleteResponse,
) -> Result<AutocompleteResponse, AppError> {
    let local_total = response.total_hits.unwrap_or(response.data.len());
    let mut window = Window::after_local(p, local_total, response.data.len());
    let mut seen: HashSet<String> = response.data.iter().map(PackageId::key_of).collect();
    let mut total_hits = local_total;
    for index in search_upstreams(state) {
        let Some((total, hits)) = upstream_slice(state, index, Kind::Autocomplete, p, &window).await else {
            continue;
        };
        total_hits += total;
        let ids: Vec<String> = hits.iter().take(window.wanted).filter_map(Value::as_str).map(str::to_owned).collect();
        let used = ids.len();
        let listable = guard::listable(state, index, ids.clone()).await?;
        response.data.extend(
            ids.into_iter()
                .filter(|id| listable.contains(&PackageId::key_of(id)) && seen.insert(PackageId::key_of(id))),
        );
        window.advance(total, used);
    }
    response.total_hits = Some(total_hits);
    Ok(response)
}

/// v2 `Search()`: after the last local entry, each upstream hit's latest version as an entry,
/// paged as one list like v3 search. Only for the listings v2 clients send to browse
/// (`$filter` absent or the latest-version flags, any `$orderby`: upstream entries follow the
/// local ones in the upstream's order); other filters answer from the local versions only.
pub async fn v2_search(
    state: AppState,
    source: Source,
    options: QueryOptions,
    semver2: bool,
) -> Result<FeedPage, AppError> {
    let local = {
        let (state, source, options) = (state.clone(), source.clone(), options.clone());
        blocking(move || feed_v2::list(&state, &source, &options, semver2)).await?
    };
    let Some(p) = v2_params(&state, &source, &options, semver2) else {
        return Ok(local);
    };
    let local_total = v2_local_total(&state, &source, &options, semver2).await?;
    let mut page = local;
    let limit = feed_v2::page_window(&state, &options);
    let mut window = Window {
        skip: options.skip.saturating_sub(local_total),
        wanted: if page.next.is_some() { 0 } else { limit.saturating_sub(page.entries.len()) },
    };
    let read_at = state.clock.now_text();
    let mut seen: HashSet<String> = page.entries.iter().map(|e| e.id_lower.clone()).collect();
    let (mut total, mut more) = (local_total, page.next.is_some());
    for index in search_upstreams(&state) {
        let Some((upstream_total, hits)) = upstream_slice(&state, index, Kind::Search, &p, &window).await else {
            continue;
        };
        total += upstream_total;
        let entries: Vec<_> = hits.iter().take(window.wanted).filter_map(|h| v2::search_entry(h, &read_at)).collect();
        let used = entries.len();
        let listable = guard::listable(&state, index, entries.iter().map(|e| e.id_lower.clone()).collect()).await?;
        page.entries
            .extend(entries.into_iter().filter(|e| listable.contains(&e.id_lower) && seen.insert(e.id_lower.clone())));
        more |= window.skip + used < upstream_total && window.wanted == used && used > 0;
        window.advance(upstream_total, used);
    }
    page.next = feed_v2::next_page(&options, limit, more);
    if options.inline_count {
        page.count = Some(total);
    }
    Ok(page)
}

/// v2 `Search()/$count`, with the hits of upstreams that join search.
pub async fn v2_search_count(
    state: AppState,
    source: Source,
    options: QueryOptions,
    semver2: bool,
) -> Result<usize, AppError> {
    let Some(p) = v2_params(&state, &source, &options, semver2) else {
        return blocking(move || feed_v2::count(&state, &source, &options, semver2)).await;
    };
    let mut total = v2_local_total(&state, &source, &options, semver2).await?;
    let window = Window { skip: 0, wanted: 0 };
    for index in search_upstreams(&state) {
        if let Some((upstream_total, _)) = upstream_slice(&state, index, Kind::Search, &p, &window).await {
            total += upstream_total;
        }
    }
    Ok(feed_v2::window_count(total, &options))
}

/// The v3 question a v2 search listing asks the upstreams; `None` when it asks them nothing.
fn v2_params(state: &AppState, source: &Source, options: &QueryOptions, semver2: bool) -> Option<SearchParams> {
    let Source::Search { term, include_prerelease } = source else {
        return None;
    };
    if !state.mirror.searches_upstreams() {
        return None;
    }
    let stable_only = match &options.filter {
        None => false,
        Some(filter) => latest_flag(filter)?,
    };
    Some(SearchParams {
        q: term.clone(),
        prerelease: *include_prerelease && !stable_only,
        semver2,
        ..SearchParams::default()
    })
}

/// How many local entries the listing has, paging aside.
async fn v2_local_total(
    state: &AppState,
    source: &Source,
    options: &QueryOptions,
    semver2: bool,
) -> Result<usize, AppError> {
    let (state, source) = (state.clone(), source.clone());
    let all = QueryOptions { skip: 0, top: None, ..options.clone() };
    blocking(move || feed_v2::count(&state, &source, &all, semver2)).await
}

/// For `IsLatestVersion`, `IsAbsoluteLatestVersion` (or `… eq true`), what v2 clients filter a
/// browse listing by: whether only stable versions qualify (`IsLatestVersion`). `None` for any
/// other filter, which upstream hits are not matched against.
fn latest_flag(filter: &Expr) -> Option<bool> {
    let flag = |e: &Expr| match e {
        Expr::Member(m) if m.eq_ignore_ascii_case("IsLatestVersion") => Some(true),
        Expr::Member(m) if m.eq_ignore_ascii_case("IsAbsoluteLatestVersion") => Some(false),
        _ => None,
    };
    match filter {
        Expr::Compare(left, CompareOp::Eq, right) if matches!(**right, Expr::Bool(true)) => flag(left),
        e => flag(e),
    }
}

fn search_upstreams(state: &AppState) -> Vec<usize> {
    state.mirror.upstreams.iter().enumerate().filter(|(_, u)| u.config.search).map(|(i, _)| i).collect()
}

#[derive(Clone, Copy)]
enum Kind {
    Search,
    Autocomplete,
}

/// Upstream answers are asked and cached in aligned blocks of this many hits, so that a page's
/// cache key does not depend on how many local hits precede it (which changes with every push).
const BLOCK: usize = 100;

/// The upstream's total and its hits from the window's start (at least the window's worth when
/// it has them); `None` when it fails with nothing cached, or has no such service.
async fn upstream_slice(
    state: &AppState,
    index: usize,
    kind: Kind,
    p: &SearchParams,
    window: &Window,
) -> Option<(usize, Vec<Value>)> {
    let first = window.skip / BLOCK;
    let last = (window.skip + window.wanted.max(1) - 1) / BLOCK;
    let (mut total, mut hits) = (0, Vec::new());
    for block in first..=last {
        let Some(page) = upstream_block(state, index, kind, p, block).await else {
            if block == first {
                return None;
            }
            break;
        };
        total = page.total_hits;
        hits.extend(page.items.iter().cloned());
        if page.items.len() < BLOCK {
            break;
        }
    }
    Some((total, hits.into_iter().skip(window.skip - first * BLOCK).collect()))
}

/// One block of an upstream's answer: cached for its TTL, stale while it fails.
async fn upstream_block(
    state: &AppState,
    index: usize,
    kind: Kind,
    p: &SearchParams,
    block: usize,
) -> Option<SearchPage> {
    let upstream = &state.mirror.upstreams[index];
    let query = SearchQuery { q: &p.q, skip: block * BLOCK, take: BLOCK, prerelease: p.prerelease, semver2: p.semver2 };
    let tag = match kind {
        Kind::Search => "search",
        Kind::Autocomplete => "autocomplete",
    };
    let key = format!("{index}\u{0}{tag}\u{0}{query:?}");
    let cached = state.mirror.searches.get(&key);
    if let Some(page) = cached.as_ref().filter(|c| c.fetched.elapsed() < upstream.ttl()) {
        return Some(page.clone());
    }
    let answer = match kind {
        Kind::Search => upstream.search(&query).await,
        Kind::Autocomplete => upstream.autocomplete(&query).await,
    };
    match answer {
        Fetched::Found(doc) => {
            let page = SearchPage {
                total_hits: doc
                    .get("totalHits")
                    .and_then(Value::as_u64)
                    .and_then(|n| usize::try_from(n).ok())
                    .unwrap_or_default(),
                items: Arc::new(doc.get("data").and_then(Value::as_array).cloned().unwrap_or_default()),
                fetched: Instant::now(),
            };
            state.mirror.searches.insert(key, page.clone());
            Some(page)
        }
        Fetched::Missing => None,
        Fetched::Failed(error) => {
            let last_answer = cached?;
            upstream.health.stale.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(upstream = %upstream.name(), %error, "upstream failing; serving its last search answer");
            Some(last_answer)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(skip: usize, take: usize) -> SearchParams {
        SearchParams { skip, take, ..SearchParams::default() }
    }

    #[test]
    fn the_window_runs_over_local_hits_first_then_each_upstream() {
        // Page 1 of 20 with 5 local hits: the upstream fills the other 15 from its start.
        let mut w = Window::after_local(&params(0, 20), 5, 5);
        assert_eq!((w.skip, w.wanted), (0, 15));
        w.advance(100, 15);
        assert_eq!((w.skip, w.wanted), (0, 0));
        // Page 3 of 20 with 5 local hits: skip 40 - 5 = 35 of the first upstream.
        let mut w = Window::after_local(&params(40, 20), 5, 0);
        assert_eq!((w.skip, w.wanted), (35, 20));
        // A first upstream with 30 hits has none left for this page: the second starts at 5.
        w.advance(30, 0);
        assert_eq!((w.skip, w.wanted), (5, 20));
    }
}

//! The v2 (OData) feed's use cases: `Packages()`, `Packages(Id,Version)`, `FindPackagesById()`,
//! `Search()` and `GetUpdates()`, with their counts. Rows are chosen and paged in SQL; only the
//! entries of the page are loaded.
//!
//! Visibility, as on nuget.org: only available versions ever appear; unlisted ones are hidden
//! from `Packages()`, `Search()` and `GetUpdates()` and from the latest flags, but returned by the
//! exact `Packages(Id,Version)` and by `FindPackagesById()` so pinned restores keep working.
//! SemVer 2.0 versions appear only to clients that send `semVerLevel=2.0.0`.
pub mod filter;
pub mod updates;

use crate::db::feed_v2::{self, BoolColumn, Condition, OrderKey, VersionQuery};
use crate::domain::id::PackageId;
use crate::domain::records::EntryRecord;
use crate::domain::version::NuGetVersion;
use crate::error::AppError;
use crate::protocol::odata_query::QueryOptions;
use crate::search::query::{Filter, ParsedQuery};
use crate::state::AppState;

pub use updates::UpdatesRequest;

/// Which collection a listing reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Packages,
    Search {
        term: String,
        include_prerelease: bool,
    },
    /// By the id's key (`PackageId::key_of`), folded once by the caller.
    FindPackagesById {
        id_lower: String,
    },
}

/// Where the next page starts, when the server cut this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextPage {
    pub skip: usize,
    pub top: Option<usize>,
}

/// One page of a listing.
#[derive(Debug)]
pub struct FeedPage {
    pub entries: Vec<EntryRecord>,
    /// The number of entries of the whole listing, when `$inlinecount`/`$count` asked for it.
    pub count: Option<usize>,
    pub next: Option<NextPage>,
}

/// A listing's rows in database terms.
pub struct Plan {
    pub condition: Condition,
    pub fts: Option<String>,
    pub order: Vec<(OrderKey, bool)>,
}

fn flag(column: BoolColumn) -> Condition {
    Condition::Flag(column)
}

fn not(c: Condition) -> Condition {
    Condition::Not(Box::new(c))
}

/// What a listing selects and in which order; public for the OData fuzz target (`fuzz/`).
pub fn plan(source: &Source, options: &QueryOptions) -> Result<Plan, AppError> {
    let mut conditions = Vec::new();
    if let Some(expr) = &options.filter {
        conditions.push(filter::condition(expr)?);
    }
    let requested = filter::order(&options.orderby)?;
    let (fts, default_order) = match source {
        Source::Packages => {
            conditions.push(flag(BoolColumn::Listed));
            (None, vec![(OrderKey::Id, false), (OrderKey::Version, false)])
        }
        Source::FindPackagesById { id_lower } => {
            conditions.push(Condition::IdIn(vec![id_lower.clone()]));
            (None, vec![(OrderKey::Version, false)])
        }
        Source::Search { term, include_prerelease } => {
            conditions.push(flag(BoolColumn::Listed));
            if !include_prerelease {
                conditions.push(not(flag(BoolColumn::IsPrerelease)));
            }
            // nuget.org's search syntax (`id:`, `tags:`, `packageid:`, `version:`…) applies here too.
            let query = ParsedQuery::parse(term);
            for f in &query.filters {
                conditions.push(match f {
                    Filter::ExactId(id) => Condition::IdIn(vec![PackageId::key_of(id.as_str())]),
                    Filter::Version(v) => Condition::VersionIs(
                        NuGetVersion::parse(v).map_or_else(|_| v.to_ascii_lowercase(), |v| v.lower_normalized()),
                    ),
                });
            }
            let fts = query.fts_expression();
            let order = if fts.is_some() {
                vec![(OrderKey::Relevance { exact_id_lower: query.raw_lower.clone() }, false)]
            } else {
                vec![(OrderKey::DownloadCount, true), (OrderKey::Id, false)]
            };
            (fts, order)
        }
    };
    Ok(Plan {
        condition: Condition::All(conditions),
        fts,
        order: if requested.is_empty() { default_order } else { requested },
    })
}

/// How many entries a page holds: `$top`, but never more than the server's page size.
pub(crate) fn page_window(state: &AppState, options: &QueryOptions) -> usize {
    let page_size = state.config.feed.v2_page_size;
    options.top.map_or(page_size, |top| top.min(page_size))
}

/// Where the next page starts when more entries follow. A next link only when the server cut
/// the page, not when `$top` did.
pub(crate) fn next_page(options: &QueryOptions, limit: usize, more: bool) -> Option<NextPage> {
    (more && options.top.is_none_or(|top| top > limit))
        .then(|| NextPage { skip: options.skip + limit, top: options.top.map(|top| top - limit) })
}

/// One page of `Packages()`, `Search()` or `FindPackagesById()`.
pub fn list(state: &AppState, source: &Source, options: &QueryOptions, semver2: bool) -> Result<FeedPage, AppError> {
    let plan = plan(source, options)?;
    let query = VersionQuery { semver2, fts: plan.fts.as_deref(), condition: &plan.condition, order: &plan.order };
    let limit = page_window(state, options);
    let conn = state.conn()?;
    let mut hits = feed_v2::select(&conn, &query, options.skip, Some(limit + 1))?;
    let more = hits.len() > limit;
    hits.truncate(limit);
    let keys: Vec<i64> = hits.iter().map(|h| h.key).collect();
    let entries = feed_v2::load_entries(&conn, &keys, semver2)?;
    let count = if options.inline_count { Some(feed_v2::count(&conn, &query)?) } else { None };
    Ok(FeedPage { entries, count, next: next_page(options, limit, more) })
}

/// `…/$count`: the number of entries the listing would return, after `$skip` and `$top`.
pub fn count(state: &AppState, source: &Source, options: &QueryOptions, semver2: bool) -> Result<usize, AppError> {
    let plan = plan(source, options)?;
    let query = VersionQuery { semver2, fts: plan.fts.as_deref(), condition: &plan.condition, order: &plan.order };
    let total = feed_v2::count(&state.conn()?, &query)?;
    Ok(window_count(total, options))
}

pub(crate) fn window_count(total: usize, options: &QueryOptions) -> usize {
    total.saturating_sub(options.skip).min(options.top.unwrap_or(usize::MAX))
}

/// `Packages(Id='…',Version='…')`: one version, listed or not; `None` when it is not available
/// (or is SemVer 2.0 and the client did not opt in). Takes the keys (`PackageId::lower`,
/// `NuGetVersion::lower_normalized`) the caller parsed.
pub fn entry(
    state: &AppState,
    id_lower: &str,
    version_lower: &str,
    semver2: bool,
) -> Result<Option<EntryRecord>, AppError> {
    let condition = Condition::All(vec![
        Condition::IdIn(vec![id_lower.to_owned()]),
        Condition::VersionIs(version_lower.to_owned()),
    ]);
    let query = VersionQuery { semver2, fts: None, condition: &condition, order: &[] };
    let conn = state.conn()?;
    let keys: Vec<i64> = feed_v2::select(&conn, &query, 0, Some(1))?.into_iter().map(|h| h.key).collect();
    Ok(feed_v2::load_entries(&conn, &keys, semver2)?.pop())
}

/// The version `GET /api/v2/package/{id}` serves: the newest listed stable version, else the
/// newest listed one (lowercase normalized). Takes the id's key (`PackageId::lower`).
pub fn latest_version(state: &AppState, id_lower: &str) -> Result<Option<String>, AppError> {
    let conn = state.conn()?;
    let newest_first = [(OrderKey::Version, true)];
    let id = Condition::IdIn(vec![id_lower.to_owned()]);
    for stable_only in [true, false] {
        let mut conditions = vec![id.clone(), flag(BoolColumn::Listed)];
        if stable_only {
            conditions.push(not(flag(BoolColumn::IsPrerelease)));
        }
        let condition = Condition::All(conditions);
        let query = VersionQuery { semver2: true, fts: None, condition: &condition, order: &newest_first };
        if let Some(hit) = feed_v2::select(&conn, &query, 0, Some(1))?.pop() {
            return Ok(NuGetVersion::parse(&hit.version_full).ok().map(|v| v.lower_normalized()));
        }
    }
    Ok(None)
}

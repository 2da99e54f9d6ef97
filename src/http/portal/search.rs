//! `/packages?q=…&prerelease=true&sortBy=relevance&page=2`: search results, 20 to a page.
//!
//! Malformed parameters (`page=abc`, `sortBy=bogus`) answer 400 with a sentence saying what is
//! accepted, like the feed's search, rather than silently showing something else.
use super::cards::PackageCard;
use super::layout::{self, default_icon, Layout};
use crate::error::AppError;
use crate::http::call::Call;
use crate::search::query::SortOrder;
use crate::services::search::SearchParams;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub const PAGE_SIZE: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageQuery {
    pub q: String,
    /// nuget.org includes prerelease versions unless asked not to.
    pub prerelease: bool,
    pub sort: SortOrder,
    /// 1-based.
    pub page: usize,
}

impl PageQuery {
    /// Parses the query string. A repeated key takes its last value: the search form sends a
    /// hidden `prerelease=false` before the checkbox's `prerelease=true`, so an unchecked box
    /// still says "false" when the form is submitted without script.
    pub fn parse(query_string: &str) -> Result<Self, AppError> {
        let pairs = web::Query::<Vec<(String, String)>>::from_query(query_string)
            .map_err(|_| AppError::BadRequest("The address has a malformed query string.".into()))?;
        let last = |name: &str| pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.trim());
        let prerelease = match last("prerelease").map(str::to_ascii_lowercase).as_deref() {
            None | Some("" | "true") => true,
            Some("false") => false,
            Some(other) => {
                return Err(AppError::BadRequest(format!(
                    "The 'prerelease' parameter must be true or false, not '{other}'."
                )))
            }
        };
        let sort = match last("sortBy").filter(|s| !s.is_empty()) {
            None => SortOrder::Relevance,
            Some(s) => SortOrder::from_param(s).ok_or_else(|| {
                let allowed: Vec<&str> = SortOrder::ALL.iter().map(|o| o.param()).collect();
                AppError::BadRequest(format!(
                    "The 'sortBy' parameter must be one of {}, not '{s}'.",
                    allowed.join(", ")
                ))
            })?,
        };
        let page = match last("page").filter(|s| !s.is_empty()) {
            None => 1,
            Some(p) => p.parse::<u32>().ok().filter(|n| *n >= 1).map(|n| n as usize).ok_or_else(|| {
                AppError::BadRequest(format!("The 'page' parameter must be a whole number from 1 up, not '{p}'."))
            })?,
        };
        Ok(Self { q: last("q").unwrap_or_default().to_owned(), prerelease, sort, page })
    }

    /// The link to this search with some values changed; defaults are left out of the URL.
    pub fn url(&self, state: &AppState, sort: SortOrder, page: usize, prerelease: bool) -> String {
        let page_text = page.to_string();
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if !self.q.is_empty() {
            pairs.push(("q", &self.q));
        }
        if !prerelease {
            pairs.push(("prerelease", "false"));
        }
        if sort != SortOrder::Relevance {
            pairs.push(("sortBy", sort.param()));
        }
        if page > 1 {
            pairs.push(("page", &page_text));
        }
        state.urls.portal_search(&pairs)
    }
}

pub struct SortOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    query: PageQuery,
    results: Vec<PackageCard>,
    total: String,
    total_hits: usize,
    page_count: usize,
    sort_options: Vec<SortOption>,
    previous_url: Option<String>,
    next_url: Option<String>,
    first_url: String,
}

pub async fn search(req: HttpRequest, call: Call) -> Result<HttpResponse, AppError> {
    let query = PageQuery::parse(req.query_string())?;
    let params = SearchParams {
        q: crate::services::search::checked_query(query.q.clone())?,
        skip: (query.page - 1).saturating_mul(PAGE_SIZE),
        take: PAGE_SIZE,
        prerelease: query.prerelease,
        // The portal shows every package; SemVer 2.0 only matters to old clients.
        semver2: true,
        sort: query.sort,
        package_type: None,
    };
    let found = call.run_async(|state, _| crate::services::mirror::search::search(state, params)).await?;
    let state = call.state();
    let page_count = found.total_hits.div_ceil(PAGE_SIZE);
    let page = query.page;
    let url = |page: usize| query.url(state, query.sort, page, query.prerelease);
    let title = if query.q.is_empty() { "Packages".to_owned() } else { format!("Search results for {}", query.q) };
    layout::render(&SearchPage {
        layout: Layout::new(state, &req, title).query(&query.q).current("packages"),
        results: PackageCard::list(&state.urls, &found.data, &default_icon(state)),
        total: super::format::count(i64::try_from(found.total_hits).unwrap_or(i64::MAX)),
        total_hits: found.total_hits,
        page_count,
        sort_options: SortOrder::ALL
            .into_iter()
            .map(|o| SortOption {
                value: o.param(),
                label: match o {
                    SortOrder::Relevance => "Relevance",
                    SortOrder::Downloads => "Downloads",
                    SortOrder::Recent => "Recently updated",
                },
                selected: o == query.sort,
            })
            .collect(),
        previous_url: (page > 1).then(|| url(page.min(page_count + 1) - 1)),
        next_url: (page < page_count).then(|| url(page + 1)),
        first_url: url(1),
        query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_defaults_and_last_values() {
        let q = PageQuery::parse("").unwrap();
        assert_eq!(q, PageQuery { q: String::new(), prerelease: true, sort: SortOrder::Relevance, page: 1 });
        let q = PageQuery::parse("q=json+web&prerelease=false&prerelease=true&sortBy=created-desc&page=3").unwrap();
        assert_eq!(q, PageQuery { q: "json web".into(), prerelease: true, sort: SortOrder::Recent, page: 3 });
        assert!(!PageQuery::parse("prerelease=false").unwrap().prerelease);
    }

    #[test]
    fn refuses_malformed_values() {
        for bad in ["page=abc", "page=0", "page=-1", "sortBy=bogus", "prerelease=maybe"] {
            assert!(matches!(PageQuery::parse(bad), Err(AppError::BadRequest(_))), "{bad}");
        }
    }
}

//! What every v2 resource does with a request and a result: read the query string, render the
//! Atom document off the executor, answer with the right content type.
use crate::error::AppError;
use crate::protocol::odata_query::{self, QueryError, QueryOptions};
use crate::protocol::v2_atom::{self, FeedHead, ENTRY_CONTENT_TYPE, FEED_CONTENT_TYPE};
use crate::services::feed_v2::FeedPage;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};

pub fn bad(e: QueryError) -> AppError {
    AppError::BadRequest(e.0)
}

/// A request's query string, read once.
#[derive(Debug, Clone)]
pub struct V2Request {
    /// Decoded parameters, in order.
    pub params: Vec<(String, String)>,
    pub options: QueryOptions,
    /// The client sent `semVerLevel=2.0.0` (or higher).
    pub semver2: bool,
    raw_query: String,
}

impl V2Request {
    pub fn parse(req: &HttpRequest) -> Result<Self, AppError> {
        let params = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map_err(|_| AppError::BadRequest("The query string is malformed.".into()))?
            .into_inner();
        let options = QueryOptions::parse(&params).map_err(bad)?;
        let semver2 = match odata_query::param(&params, "semVerLevel").map(str::trim).filter(|s| !s.is_empty()) {
            None => false,
            Some(level) => {
                crate::domain::version::NuGetVersion::parse(level).map(|v| v.major() >= 2).map_err(|_| {
                    AppError::BadRequest(format!(
                        "The 'semVerLevel' parameter must be a version such as 2.0.0, not '{level}'."
                    ))
                })?
            }
        };
        Ok(Self { params, options, semver2, raw_query: req.query_string().to_owned() })
    }

    /// A string function parameter (`searchTerm='…'`), unquoted; empty when absent.
    pub fn string(&self, name: &str) -> Result<String, AppError> {
        odata_query::param(&self.params, name)
            .map_or(Ok(String::new()), |raw| odata_query::string_literal(raw).map_err(bad))
    }

    pub fn flag(&self, name: &str) -> Result<bool, AppError> {
        odata_query::bool_param(&self.params, name).map_err(bad)
    }
}

/// Renders a page as a feed. `title` names the collection; `path` is the canonical resource
/// path (`Search()`) its self and next links use.
pub fn render_feed(
    state: &AppState,
    request: &V2Request,
    title: &str,
    path: &str,
    page: &FeedPage,
) -> Result<Vec<u8>, AppError> {
    let urls = &state.urls;
    let self_url = urls.v2_resource(path, "");
    let next_url =
        page.next.map(|next| urls.v2_resource(path, &odata_query::next_query(&request.raw_query, next.skip, next.top)));
    let head = FeedHead {
        title,
        self_url: &self_url,
        count: page.count,
        next_url: next_url.as_deref(),
        select: request.options.select.as_deref(),
        updated: &state.clock.now().to_rfc3339(),
    };
    v2_atom::feed(urls, &head, &page.entries).map_err(AppError::internal)
}

pub fn feed_response(body: impl Into<actix_web::web::Bytes>) -> HttpResponse {
    let body: actix_web::web::Bytes = body.into();
    HttpResponse::Ok().content_type(FEED_CONTENT_TYPE).body(body)
}

pub fn entry_response(body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok().content_type(ENTRY_CONTENT_TYPE).body(body)
}

/// `…/$count`: a plain number.
pub fn count_response(n: usize) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain;charset=utf-8").body(n.to_string())
}

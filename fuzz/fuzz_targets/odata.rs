//! The v2 (OData) URL grammar: the resource segment, `$filter`, `$orderby` and the other system
//! query options. Whatever the parsers accept must become SQL that SQLite runs (a refusal there
//! would be a 500), and a `next` link must read back as the next page.
//!
//! Input: the path segment under `/api/v2/` (`Packages`, `Search()`, `Packages(Id='a',…)`), a
//! newline, then the raw query string as a client sends it (`$filter=Id%20eq%20'a'&$top=5`).
#![no_main]

#[path = "db.rs"]
mod db;

use galley::db::feed_v2::{self, VersionQuery};
use galley::protocol::odata_query::{self, QueryOptions, Resource};
use galley::services::feed_v2::{plan, Source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (segment, raw_query) = text.split_once('\n').unwrap_or((text, ""));
    let Ok(resource) = Resource::parse(segment) else {
        return;
    };
    // The server decodes the query string with serde_urlencoded (actix's `web::Query`).
    let Ok(params) = serde_urlencoded::from_str::<Vec<(String, String)>>(raw_query) else {
        return;
    };
    let Ok(options) = QueryOptions::parse(&params) else {
        return;
    };
    let string = |name| odata_query::param(&params, name).map(odata_query::string_literal).transpose();
    let source = match resource {
        Some(Resource::Search) => {
            let (Ok(term), Ok(include_prerelease)) =
                (string("searchTerm"), odata_query::bool_param(&params, "includePrerelease"))
            else {
                return;
            };
            Source::Search { term: term.unwrap_or_default(), include_prerelease }
        }
        Some(Resource::FindPackagesById) => {
            let Ok(id) = string("id") else {
                return;
            };
            Source::FindPackagesById { id_lower: galley::domain::id::PackageId::key_of(id.unwrap_or_default()) }
        }
        _ => Source::Packages,
    };
    let semver2 = odata_query::param(&params, "semVerLevel").is_some();

    if let Ok(plan) = plan(&source, &options) {
        let query = VersionQuery { semver2, fts: plan.fts.as_deref(), condition: &plan.condition, order: &plan.order };
        db::with(|conn| {
            feed_v2::count(conn, &query)?;
            feed_v2::select(conn, &query, options.skip, Some(20))
        })
        .unwrap_or_else(|e| panic!("the database refused the query for {text:?}: {e}"));
    }

    // The next page's link keeps every option but moves `$skip` (and `$top`) on.
    let skip = options.skip.saturating_add(20);
    let top = options.top.map(|t| t.saturating_sub(20));
    let next = odata_query::next_query(raw_query, skip, top);
    let next_params = serde_urlencoded::from_str::<Vec<(String, String)>>(&next).expect("a next link decodes");
    let next_options = QueryOptions::parse(&next_params)
        .unwrap_or_else(|e| panic!("the next link {next:?} of {raw_query:?} is refused: {e}"));
    assert_eq!((next_options.skip, next_options.top), (skip, top), "{next:?}");
    assert_eq!(next_options.filter, options.filter);
    assert_eq!(next_options.orderby, options.orderby);
});

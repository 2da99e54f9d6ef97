//! Server-driven paging: with `[feed] v2_page_size = 2`, longer answers are cut and carry a
//! `next` link that continues exactly where the page ended.
use super::{feed, follow, listed, seed, strings};
use crate::helpers::{spawn_app_with, TestApp};

fn small_pages() -> TestApp {
    let app = spawn_app_with(|c| c.feed.v2_page_size = 2);
    seed(&app);
    app
}

#[test]
fn a_cut_page_links_to_the_next_and_the_pages_add_up() {
    let app = small_pages();
    let first = feed(&app, "/api/v2/Packages()");
    assert_eq!(listed(&first), strings(&["Acme.App 1.0.0", "Acme.Core 1.0.0"]));
    assert_eq!(first.link("next"), Some(format!("{}/api/v2/Packages?$skip=2", app.base).as_str()));
    let (all, pages) = follow(&app, "/api/v2/Packages()");
    assert_eq!(
        all,
        strings(&["Acme.App 1.0.0", "Acme.Core 1.0.0", "Acme.Core 1.1.0", "Acme.Core 2.0.0-beta", "Other.Lib 0.9.0"])
    );
    assert_eq!(pages, 3);
}

#[test]
fn next_links_keep_the_query_and_count_down_top() {
    let app = small_pages();
    let path = "/api/v2/Search()?$filter=IsAbsoluteLatestVersion&$orderby=Id&searchTerm=''&targetFramework=''&includePrerelease=true&$skip=0&$top=30&semVerLevel=2.0.0";
    let first = feed(&app, path);
    let next = first.link("next").expect("a next link");
    assert!(next.starts_with(&format!("{}/api/v2/Search()?", app.base)), "{next}");
    assert!(next.contains("$filter=IsAbsoluteLatestVersion") && next.contains("semVerLevel=2.0.0"), "{next}");
    assert!(next.ends_with("$skip=2&$top=28"), "{next}");
    let (all, pages) = follow(&app, path);
    assert_eq!(all, strings(&["Acme.App 1.0.0", "Acme.Core 3.0.0-rc.1", "Other.Lib 0.9.0"]));
    assert_eq!(pages, 2);
}

#[test]
fn top_larger_than_a_page_still_pages_and_stops_at_top() {
    let app = small_pages();
    let (all, pages) = follow(&app, "/api/v2/Packages()?$top=3");
    assert_eq!(all, strings(&["Acme.App 1.0.0", "Acme.Core 1.0.0", "Acme.Core 1.1.0"]));
    assert_eq!(pages, 2);
    // $top within a page: the client asked for exactly that, so no next link.
    let f = feed(&app, "/api/v2/Packages()?$top=2");
    assert_eq!(f.entries().len(), 2);
    assert_eq!(f.link("next"), None);
    // A page that ends exactly at the last entry has no next link either.
    let f = feed(&app, "/api/v2/Packages()?$skip=3");
    assert_eq!(listed(&f), strings(&["Acme.Core 2.0.0-beta", "Other.Lib 0.9.0"]));
    assert_eq!(f.link("next"), None);
}

#[test]
fn find_packages_by_id_pages_through_every_version() {
    let app = small_pages();
    let (all, pages) = follow(&app, "/api/v2/FindPackagesById()?id='Acme.Core'&semVerLevel=2.0.0");
    assert_eq!(all, strings(&["Acme.Core 1.0.0", "Acme.Core 1.1.0", "Acme.Core 2.0.0-beta", "Acme.Core 3.0.0-rc.1"]));
    assert_eq!(pages, 2);
    let first = feed(&app, "/api/v2/FindPackagesById()?id='Acme.Core'&semVerLevel=2.0.0");
    // The client's own spelling of the other parameters is kept (reqwest sends ' as %27).
    let next = first.link("next").expect("a next link").replace("%27", "'");
    assert_eq!(next, format!("{}/api/v2/FindPackagesById()?id='Acme.Core'&semVerLevel=2.0.0&$skip=2", app.base));
}

//! `Search()` as nuget.exe's `list` sends it, and `Packages()` with the filters, orderings and
//! counts older clients and Chocolatey send.
use super::xml::M;
use super::{feed, get, listed, seed, strings};
use crate::helpers::spawn_app;

/// Exactly what nuget.exe 5.8 sends for `nuget list`, with the filter and prerelease flag varied.
fn list_url(filter: Option<&str>, term: &str, prerelease: bool) -> String {
    let filter = filter.map(|f| format!("$filter={f}&")).unwrap_or_default();
    format!("/api/v2/Search()?{filter}$orderby=Id&searchTerm='{term}'&targetFramework=''&includePrerelease={prerelease}&$skip=0&$top=30&semVerLevel=2.0.0")
}

#[test]
fn nuget_list_shows_each_latest_stable_version() {
    let app = spawn_app();
    seed(&app);
    let f = feed(&app, &list_url(Some("IsLatestVersion"), "", false));
    assert_eq!(listed(&f), strings(&["Acme.App 1.0.0", "Acme.Core 1.1.0", "Other.Lib 0.9.0"]));
    for e in f.entries() {
        assert_eq!(e.prop_text("IsLatestVersion"), "true");
    }
    assert_eq!(f.link("next"), None);
    assert_eq!(f.child(super::xml::ATOM, "title").text, "Search");
}

#[test]
fn nuget_list_all_versions_hides_unlisted_ones() {
    let app = spawn_app();
    seed(&app);
    let f = feed(&app, &list_url(None, "", false));
    assert_eq!(listed(&f), strings(&["Acme.App 1.0.0", "Acme.Core 1.0.0", "Acme.Core 1.1.0", "Other.Lib 0.9.0"]));
    let f = feed(&app, &list_url(None, "", true));
    assert_eq!(
        listed(&f),
        strings(&[
            "Acme.App 1.0.0",
            "Acme.Core 1.0.0",
            "Acme.Core 1.1.0",
            "Acme.Core 2.0.0-beta",
            "Acme.Core 3.0.0-rc.1",
            "Other.Lib 0.9.0"
        ])
    );
}

#[test]
fn nuget_list_prerelease_shows_the_absolute_latest_within_the_semver_level() {
    let app = spawn_app();
    seed(&app);
    let f = feed(&app, &list_url(Some("IsAbsoluteLatestVersion"), "", true));
    assert_eq!(listed(&f), strings(&["Acme.App 1.0.0", "Acme.Core 3.0.0-rc.1", "Other.Lib 0.9.0"]));
    // Without semVerLevel=2.0.0 the SemVer 2.0 version does not exist, so 2.0.0-beta is the latest.
    let url = list_url(Some("IsAbsoluteLatestVersion"), "", true).replace("&semVerLevel=2.0.0", "");
    let f = feed(&app, &url);
    assert_eq!(listed(&f), strings(&["Acme.App 1.0.0", "Acme.Core 2.0.0-beta", "Other.Lib 0.9.0"]));
    let core = f.entries()[1];
    assert_eq!(
        (core.prop_text("IsAbsoluteLatestVersion"), core.prop_text("IsLatestVersion"), core.prop_text("IsPrerelease")),
        ("true", "false", "true")
    );
}

#[test]
fn search_terms_use_the_full_text_index() {
    let app = spawn_app();
    seed(&app);
    assert_eq!(
        listed(&feed(&app, &list_url(Some("IsLatestVersion"), "acme", false))),
        strings(&["Acme.App 1.0.0", "Acme.Core 1.1.0"])
    );
    assert_eq!(listed(&feed(&app, &list_url(Some("IsLatestVersion"), "other", false))), strings(&["Other.Lib 0.9.0"]));
    assert_eq!(listed(&feed(&app, &list_url(Some("IsLatestVersion"), "nothing-like-it", false))), Vec::<String>::new());
    // nuget.org's field syntax, and relevance order without $orderby: the exact id first.
    let f =
        feed(&app, "/api/v2/Search()?searchTerm='packageid:acme.core'&includePrerelease=false&$filter=IsLatestVersion");
    assert_eq!(listed(&f), strings(&["Acme.Core 1.1.0"]));
    let f = feed(&app, "/api/v2/Search()?searchTerm='acme.app'&includePrerelease=false&$filter=IsLatestVersion");
    assert_eq!(listed(&f)[0], "Acme.App 1.0.0");
}

#[test]
fn search_count_and_inline_count() {
    let app = spawn_app();
    seed(&app);
    let a = get(&app, "/api/v2/Search()/$count?$filter=IsLatestVersion&searchTerm=''&targetFramework=''&includePrerelease=false&semVerLevel=2.0.0");
    assert_eq!((a.status, a.content_type.as_str(), a.text().as_str()), (200, "text/plain;charset=utf-8", "3"));
    let a = get(&app, "/api/v2/Search()/$count?searchTerm='acme'&includePrerelease=true&semVerLevel=2.0.0");
    assert_eq!(a.text(), "5");
    let f = feed(&app, "/api/v2/Search()?searchTerm=''&includePrerelease=false&$top=1&$inlinecount=allpages");
    assert_eq!(f.child(M, "count").text, "4");
    assert_eq!(f.entries().len(), 1);
}

#[test]
fn packages_lists_listed_versions_in_key_order() {
    let app = spawn_app();
    seed(&app);
    let expected =
        strings(&["Acme.App 1.0.0", "Acme.Core 1.0.0", "Acme.Core 1.1.0", "Acme.Core 2.0.0-beta", "Other.Lib 0.9.0"]);
    assert_eq!(listed(&feed(&app, "/api/v2/Packages()")), expected);
    assert_eq!(listed(&feed(&app, "/api/v2/Packages")), expected);
    assert_eq!(listed(&feed(&app, "/api/v2/Packages()?semVerLevel=2.0.0")).len(), 6);
    for path in ["/api/v2/Packages/$count", "/api/v2/Packages()/$count"] {
        let a = get(&app, path);
        assert_eq!((a.status, a.text().as_str()), (200, "5"), "{path}");
    }
    assert_eq!(get(&app, "/api/v2/Packages()/$count?$skip=1&$top=3").text(), "3");
    assert_eq!(get(&app, "/api/v2/Packages()/$count?$skip=4&$top=3").text(), "1");
}

#[test]
fn packages_filters_that_clients_send() {
    let app = spawn_app();
    seed(&app);
    let list = |filter: &str| listed(&feed(&app, &format!("/api/v2/Packages()?$filter={filter}")));
    assert_eq!(list("IsLatestVersion"), strings(&["Acme.App 1.0.0", "Acme.Core 1.1.0", "Other.Lib 0.9.0"]));
    assert_eq!(
        list("IsAbsoluteLatestVersion"),
        strings(&["Acme.App 1.0.0", "Acme.Core 2.0.0-beta", "Other.Lib 0.9.0"])
    );
    assert_eq!(list("(tolower(Id) eq 'acme.core') and IsLatestVersion"), strings(&["Acme.Core 1.1.0"]));
    // Ids compare case-insensitively, as NuGet ids (and nuget.org's database) do.
    assert_eq!(list("tolower(Id) eq 'ACME.CORE' and IsLatestVersion"), strings(&["Acme.Core 1.1.0"]));
    assert_eq!(list("Id eq 'acme.core' and IsPrerelease eq false"), strings(&["Acme.Core 1.0.0", "Acme.Core 1.1.0"]));
    assert_eq!(list("substringof('lib',tolower(Id))"), strings(&["Other.Lib 0.9.0"]));
    assert_eq!(list("Id eq 'Acme.Core' and Version eq '1.1'"), strings(&["Acme.Core 1.1.0"]));
    assert_eq!(list("NormalizedVersion eq '2.0.0-BETA'"), strings(&["Acme.Core 2.0.0-beta"]));
    assert_eq!(
        list("Id eq 'Other.Lib' or (Id eq 'Acme.App' and IsLatestVersion)"),
        strings(&["Acme.App 1.0.0", "Other.Lib 0.9.0"])
    );
    assert_eq!(
        list("not IsPrerelease and startswith(Id,'Acme.') and not endswith(Id,'App')"),
        strings(&["Acme.Core 1.0.0", "Acme.Core 1.1.0"])
    );
    assert_eq!(list("Tags ne null and substringof(' core ',tolower(Tags))"), strings(&["Acme.Core 1.0.0"]));
    assert_eq!(list("Title eq null and Id eq 'Acme.App'"), strings(&["Acme.App 1.0.0"]));
    assert_eq!(list("PackageSize gt 0 and DownloadCount eq 0 and Listed eq true"), list("true"));
    // What NuGet 2.x sends for `list json` when the feed has no Search().
    let nuget2 = "((((Id%20ne%20null)%20and%20substringof('other',tolower(Id)))%20or%20((Description%20ne%20null)%20and%20substringof('other',tolower(Description))))%20or%20((Tags%20ne%20null)%20and%20substringof('%20other%20',tolower(Tags))))%20and%20IsLatestVersion";
    assert_eq!(list(nuget2), strings(&["Other.Lib 0.9.0"]));
}

#[test]
fn packages_orderings_select_skip_and_top() {
    let app = spawn_app();
    seed(&app);
    let list = |query: &str| listed(&feed(&app, &format!("/api/v2/Packages()?{query}")));
    assert_eq!(
        list("$orderby=Version desc,Id&$filter=startswith(Id,'Acme')"),
        strings(&["Acme.Core 2.0.0-beta", "Acme.Core 1.1.0", "Acme.App 1.0.0", "Acme.Core 1.0.0"])
    );
    assert_eq!(list("$orderby=Id desc&$top=2"), strings(&["Other.Lib 0.9.0", "Acme.Core 1.0.0"]));
    assert_eq!(list("$orderby=Id,Version desc&$skip=1&$top=2"), strings(&["Acme.Core 2.0.0-beta", "Acme.Core 1.1.0"]));
    assert_eq!(
        list("$orderby=DownloadCount desc,Id&$filter=IsLatestVersion"),
        strings(&["Acme.App 1.0.0", "Acme.Core 1.1.0", "Other.Lib 0.9.0"])
    );
    assert_eq!(list("$orderby=Published desc&$top=1"), strings(&["Other.Lib 0.9.0"]));
    assert_eq!(list("$top=0"), Vec::<String>::new());
    assert_eq!(list("$skip=100"), Vec::<String>::new());
    let f = feed(&app, "/api/v2/Packages()?$top=1&$inlinecount=allpages");
    assert_eq!(f.child(M, "count").text, "5");
    assert_eq!(f.link("next"), None, "$top, not the server, cut this page");
    assert_eq!(feed(&app, "/api/v2/Packages()?$count=true&$filter=IsLatestVersion").child(M, "count").text, "3");
}

#[test]
fn downloads_are_counted_in_download_count() {
    let app = spawn_app();
    seed(&app);
    for _ in 0..2 {
        assert_eq!(app.get("/api/v2/package/Other.Lib/0.9.0").status(), 200);
    }
    app.state.downloads.flush(&app.state.db).unwrap();
    let f = feed(&app, "/api/v2/Packages()?$orderby=DownloadCount desc&$top=1&$filter=IsLatestVersion");
    let e = f.entries()[0];
    assert_eq!(
        (e.prop_text("Id"), e.prop_text("DownloadCount"), e.prop_text("VersionDownloadCount")),
        ("Other.Lib", "2", "2")
    );
}

/// Percent-encodes everything but ASCII letters and digits, as a cautious client would.
fn encode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[test]
fn string_literals_double_their_quotes_and_are_url_decoded() {
    let app = spawn_app();
    seed(&app);
    let literal = super::CORE_TITLE.replace('\'', "''");
    let filter = encode(&format!("Title eq '{literal}'"));
    assert_eq!(listed(&feed(&app, &format!("/api/v2/Packages()?%24filter={filter}"))), strings(&["Acme.Core 1.0.0"]));
    let search = format!("/api/v2/Search()?searchTerm={}&includePrerelease=false", encode("'acme''s core'"));
    assert_eq!(get(&app, &search).status, 200);
}

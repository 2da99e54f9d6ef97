//! `Packages(Id='…',Version='…')` and `FindPackagesById()`: the restore path, where unlisted
//! versions stay reachable.
use super::xml::{self, ATOM};
use super::{feed, get, listed, refused, seed, strings, ENTRY_TYPE};
use crate::helpers::spawn_app;

#[test]
fn an_exact_entry_normalizes_the_version_and_ignores_id_case() {
    let app = spawn_app();
    seed(&app);
    for path in [
        "/api/v2/Packages(Id='acme.core',Version='1.1')",
        "/api/v2/Packages(Id='ACME.CORE',Version='1.1.0.0')",
        "/api/v2/Packages(Version='1.1.0',Id='Acme.Core')",
        "/api/v2/Packages(Id=%27Acme.Core%27,Version=%271.1.0%27)",
        "/api/v2/Packages%28Id%3D%27Acme.Core%27%2CVersion%3D%271.1.0%27%29",
    ] {
        let a = get(&app, path);
        assert_eq!((a.status, a.content_type.as_str()), (200, ENTRY_TYPE), "{path}");
        let e = xml::parse(&a.body);
        assert_eq!((e.prop_text("Id"), e.prop_text("Version")), ("Acme.Core", "1.1.0"));
        assert_eq!(e.child(ATOM, "id").text, format!("{}/api/v2/Packages(Id='Acme.Core',Version='1.1.0')", app.base));
        assert_eq!(e.prop_text("IsLatestVersion"), "true");
    }
}

#[test]
fn an_unlisted_entry_is_returned_with_nuget_orgs_unlisted_date() {
    let app = spawn_app();
    seed(&app);
    let a = get(&app, "/api/v2/Packages(Id='Other.Lib',Version='1.0.0')");
    assert_eq!(a.status, 200);
    let e = xml::parse(&a.body);
    assert_eq!(e.prop_text("Listed"), "false");
    assert_eq!(e.prop_text("Published"), "1900-01-01T00:00:00");
    assert_eq!(e.prop_text("IsLatestVersion"), "false");
    assert_eq!(e.prop_text("IsAbsoluteLatestVersion"), "false");
}

#[test]
fn absent_or_hidden_entries_are_404() {
    let app = spawn_app();
    seed(&app);
    let (status, body) = refused(&app, "/api/v2/Packages(Id='Acme.Core',Version='9.9.9')");
    assert_eq!((status, body.as_str()), (404, "The package 'Acme.Core' version '9.9.9' does not exist."));
    assert_eq!(refused(&app, "/api/v2/Packages(Id='Nope',Version='1.0.0')").0, 404);
    assert_eq!(refused(&app, "/api/v2/Packages(Id='Acme.Core',Version='not-a-version')").0, 404);
    // SemVer 2.0 versions exist only for clients that opt in.
    assert_eq!(refused(&app, "/api/v2/Packages(Id='Acme.Core',Version='3.0.0-rc.1')").0, 404);
    assert_eq!(get(&app, "/api/v2/Packages(Id='Acme.Core',Version='3.0.0-rc.1')?semVerLevel=2.0.0").status, 200);
}

#[test]
fn find_packages_by_id_returns_every_available_version_with_its_flags() {
    let app = spawn_app();
    seed(&app);
    let f = feed(&app, "/api/v2/FindPackagesById()?id='other.lib'&semVerLevel=2.0.0");
    assert_eq!(f.child(ATOM, "title").text, "FindPackagesById");
    assert_eq!(listed(&f), strings(&["Other.Lib 0.9.0", "Other.Lib 1.0.0"]));
    let flags: Vec<(&str, &str, &str)> = f
        .entries()
        .iter()
        .map(|e| (e.prop_text("Listed"), e.prop_text("IsLatestVersion"), e.prop_text("IsAbsoluteLatestVersion")))
        .collect();
    assert_eq!(flags, [("true", "true", "true"), ("false", "false", "false")]);

    let f = feed(&app, "/api/v2/FindPackagesById()?id='Acme.Core'&semVerLevel=2.0.0");
    let flags: Vec<(String, &str, &str)> = f
        .entries()
        .iter()
        .map(|e| {
            (e.prop_text("Version").to_owned(), e.prop_text("IsLatestVersion"), e.prop_text("IsAbsoluteLatestVersion"))
        })
        .collect();
    assert_eq!(
        flags,
        [
            ("1.0.0".into(), "false", "false"),
            ("1.1.0".into(), "true", "false"),
            ("2.0.0-beta".into(), "false", "false"),
            ("3.0.0-rc.1".into(), "false", "true")
        ]
    );
    // Without semVerLevel, the SemVer 2.0 version is not there and 2.0.0-beta is the newest.
    let f = feed(&app, "/api/v2/FindPackagesById()?id='Acme.Core'");
    assert_eq!(listed(&f).len(), 3);
    assert_eq!(f.entries()[2].prop_text("IsAbsoluteLatestVersion"), "true");
    assert_eq!(get(&app, "/api/v2/FindPackagesById()/$count?id='Acme.Core'&semVerLevel=2.0.0").text(), "4");
    assert_eq!(listed(&feed(&app, "/api/v2/FindPackagesById()?id='Nope'")), Vec::<String>::new());
    assert_eq!(listed(&feed(&app, "/api/v2/FindPackagesById()")), Vec::<String>::new());
    assert_eq!(
        listed(&feed(&app, "/api/v2/FindPackagesById()?id='Acme.Core'&$filter=IsPrerelease&$orderby=Version desc")),
        strings(&["Acme.Core 2.0.0-beta"])
    );
}

#[test]
fn unlisting_the_newest_moves_the_latest_flag() {
    let app = spawn_app();
    let key = seed(&app);
    assert_eq!(app.delete(&key, "Acme.Core", "1.1.0").status(), 204);
    let f = feed(&app, "/api/v2/Packages()?$filter=IsLatestVersion and Id eq 'Acme.Core'");
    assert_eq!(listed(&f), strings(&["Acme.Core 1.0.0"]));
    assert_eq!(app.relist(&key, "Acme.Core", "1.1.0").status(), 204);
    let f = feed(&app, "/api/v2/Packages()?$filter=IsLatestVersion and Id eq 'Acme.Core'");
    assert_eq!(listed(&f), strings(&["Acme.Core 1.1.0"]));
}

/// The plain restore request is answered from memory; a change of the id or a flush of the
/// download counts must still show at once.
#[test]
fn the_cached_find_packages_by_id_follows_changes_and_download_counts() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push(Some(&key), &crate::helpers::nupkg("Cached.Lib", "1.0.0"));
    let path = "/api/v2/FindPackagesById()?id='Cached.Lib'";
    let versions =
        |f: &xml::Node| -> Vec<String> { f.entries().iter().map(|e| e.prop_text("Version").to_owned()).collect() };
    assert_eq!(versions(&feed(&app, path)), ["1.0.0"]);
    assert_eq!(versions(&feed(&app, path)), ["1.0.0"], "served again from the cache");

    app.push(Some(&key), &crate::helpers::nupkg("Cached.Lib", "2.0.0"));
    assert_eq!(versions(&feed(&app, path)), ["1.0.0", "2.0.0"], "a push changes the answer at once");

    assert_eq!(app.get("/api/v2/package/Cached.Lib/2.0.0").status(), 200);
    assert_eq!(feed(&app, path).entries()[1].prop_text("VersionDownloadCount"), "0");
    galley::jobs::flush_downloads(&app.state).unwrap();
    let f = feed(&app, path);
    assert_eq!(f.entries()[1].prop_text("VersionDownloadCount"), "1", "a flush of the counts shows at once");
    assert_eq!(f.entries()[0].prop_text("DownloadCount"), "1");
}

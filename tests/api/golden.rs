//! Golden documents: every v3 and v2 document a client reads, compared whole with a reviewed copy
//! in `tests/api/snapshots/` (insta). Field-by-field tests elsewhere check the rules; these catch
//! any change of shape (a renamed field, a missing `@type`, a changed date format) that those
//! would not look for. The copies were reviewed against nuget.org's documented shapes
//! (docs/clients.md). After an intended change: `INSTA_UPDATE=always cargo test --test api golden`,
//! then review the diff of `tests/api/snapshots/` like code.
//!
//! What differs between runs is replaced before comparing: the server's address (`{base}`),
//! timestamps and commit ids.
use crate::helpers::{nupkg_extra, nupkg_named, nuspec, spawn_app, TestApp};
use std::io::Read;

/// The packages every golden document is rendered from: a library with two dependency groups and
/// full metadata, a prerelease and a SemVer 2.0 version of it, an unlisted version, and its
/// dependency. (A paged registration index is golden in `protocol::v3_tests`: 129 pushes here
/// would cost more than every other golden together.)
fn seeded() -> TestApp {
    let app = spawn_app();
    let (_, key) = app.user_with_key("golden");
    let metadata = r#"<title>Golden Library</title>
    <summary>A summary.</summary>
    <tags>golden json tests</tags>
    <projectUrl>https://example.org/golden</projectUrl>
    <license type="expression">MIT</license>
    <copyright>Copyright 2026 Golden</copyright>
    <releaseNotes>First release.</releaseNotes>
    <dependencies>
      <group targetFramework="net6.0"><dependency id="Golden.Dep" version="1.0.0" /></group>
      <group targetFramework="netstandard2.0"><dependency id="Golden.Dep" version="[1.0.0, 2.0.0)" /></group>
    </dependencies>"#;
    for version in ["1.0.0", "1.1.0-beta.1", "2.0.0+build.5", "0.9.0"] {
        let r = app.push(Some(&key), &nupkg_extra("Golden.Lib", version, metadata));
        assert_eq!(r.status(), 201, "push Golden.Lib {version}");
    }
    assert_eq!(app.delete(&key, "Golden.Lib", "0.9.0").status(), 204);
    let dep = nupkg_named(&nuspec("Golden.Dep", "1.0.0", ""), "Golden.Dep", &[("lib/net6.0/_._", b"")]);
    assert_eq!(app.push(Some(&key), &dep).status(), 201);
    app
}

fn text(app: &TestApp, path: &str) -> String {
    let r = app.get(path);
    assert_eq!(r.status(), 200, "GET {path}");
    let gzipped = r.headers().get("content-encoding").is_some_and(|v| v == "gzip");
    let bytes = r.bytes().unwrap();
    let mut body = String::new();
    if gzipped {
        flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut body).unwrap();
    } else {
        body = String::from_utf8(bytes.to_vec()).unwrap();
    }
    body.replace(&app.base, "{base}")
}

fn json(app: &TestApp, path: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(&text(app, path)).unwrap();
    serde_json::to_string_pretty(&value).unwrap()
}

macro_rules! golden {
    ($name:expr, $body:expr) => {
        insta::with_settings!({
            filters => vec![
                (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?", "[timestamp]"),
                (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[uuid]"),
            ],
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!($name, $body);
        });
    };
}

/// One test, so the packages are pushed once.
#[test]
fn v3_and_v2_documents_keep_their_shape() {
    let app = seeded();
    golden!("service_index", json(&app, "/v3/index.json"));
    for hive in ["registration", "registration-gz", "registration-gz-semver2"] {
        golden!(format!("{hive}_index"), json(&app, &format!("/v3/{hive}/golden.lib/index.json")));
        golden!(format!("{hive}_leaf"), json(&app, &format!("/v3/{hive}/golden.lib/1.0.0.json")));
    }
    golden!("flat_container_index", json(&app, "/v3/flatcontainer/golden.lib/index.json"));
    golden!("search", json(&app, "/v3/query?q=golden&prerelease=true&semVerLevel=2.0.0"));
    golden!("autocomplete", json(&app, "/v3/autocomplete?q=golden"));
    golden!("autocomplete_versions", json(&app, "/v3/autocomplete?id=golden.lib&prerelease=true"));
    golden!("v2_service_document", text(&app, "/api/v2/"));
    golden!("v2_metadata", text(&app, "/api/v2/$metadata"));
    golden!("v2_entry", text(&app, "/api/v2/Packages(Id='Golden.Lib',Version='1.0.0')"));
    golden!("v2_find_packages_by_id", text(&app, "/api/v2/FindPackagesById()?id='Golden.Lib'"));
    let v2_search = text(&app, "/api/v2/Search()?searchTerm='golden'&includePrerelease=true");
    if app.on_postgres() {
        // The rank is the one engine-specific part of search (bm25 on SQLite, ts_rank on
        // PostgreSQL), and the two order these equal-looking matches differently: the same
        // entries, in the engine's order.
        let ids: Vec<&str> = v2_search.match_indices("<d:Id>").map(|(i, _)| &v2_search[i + 6..i + 16]).collect();
        assert_eq!(ids, ["Golden.Lib", "Golden.Dep"], "{v2_search}");
    } else {
        golden!("v2_search", v2_search);
    }
}

//! Search hits come from in-memory entries kept beside the search index: with the answer cache
//! off, every change that alters a hit (push, unlist, relist, delete, deprecation, owners, a
//! reserved prefix) shows in the next answer, and each answer is byte for byte what rendering
//! the same page from the database gives.
use crate::helpers::{nupkg, nupkg_extra, spawn_app_with, TestApp};
use galley::protocol::v3::{self, SearchResponse};
use serde_json::{json, Value};

fn app() -> TestApp {
    app_holding_mb(galley::config::CacheConfig::default().search_mb)
}

/// `[cache] search_mb = mb`: 0 holds no entry, so every hit is read from the database.
fn app_holding_mb(mb: u64) -> TestApp {
    spawn_app_with(|c| {
        c.cache.answers_mb = 0;
        c.cache.search_mb = mb;
        c.publish.delete_mode = galley::config::DeleteMode::Hard;
    })
}

/// The answer to `query` (a query string), checked against the same page rendered from the
/// database: the ids of the answer loaded in one batch, as search did before entries.
fn answer(app: &TestApp, query: &str) -> Value {
    let body = app.get(&format!("/v3/query?{query}")).bytes().unwrap();
    let page: Value = serde_json::from_slice(&body).unwrap();
    let ids: Vec<String> =
        page["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_lowercase()).collect();
    let (prerelease, semver2) = (query.contains("prerelease=true"), query.contains("semVerLevel=2.0.0"));
    let conn = app.state.conn().unwrap();
    let data = galley::db::packages::load_summaries(&conn, &ids)
        .unwrap()
        .iter()
        .filter_map(|p| v3::search_result(&app.state.urls, p, prerelease, semver2))
        .collect();
    let expected = SearchResponse { total_hits: usize::try_from(page["totalHits"].as_u64().unwrap()).unwrap(), data };
    assert_eq!(
        String::from_utf8_lossy(&body),
        serde_json::to_string(&expected).unwrap(),
        "the in-memory page differs from the database's for {query}"
    );
    page
}

fn versions(page: &Value) -> Vec<String> {
    page["data"][0]["versions"].as_array().unwrap().iter().map(|v| v["version"].as_str().unwrap().to_owned()).collect()
}

fn owners(app: &TestApp, args: &[&str]) {
    let out = app
        .command()
        .args(["owner"])
        .args(args)
        .arg("--data-dir")
        .arg(&app.state.config.data_dir)
        .env("GALLEY_LOG", "error")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn every_change_shows_in_the_next_answer_with_the_answer_cache_off() {
    let app = app();
    let admin = app.create_user("root", true);
    let admin_key = app.create_key(admin, "push,unlist", &[]);
    let (_, key) = app.user_with_key("alice");
    app.create_user("bob", false);
    let q = "q=entrytest&prerelease=true";
    assert_eq!(answer(&app, q)["totalHits"], 0);

    // A push: found, and its new version is the hit's version at once.
    let push = |id: &str, version: &str| {
        let r = app.push(Some(&key), &nupkg_extra(id, version, "<tags>entrytest</tags><title>Entry Test</title>"));
        assert_eq!(r.status(), 201);
    };
    push("Entry.Lib", "1.0.0");
    let page = answer(&app, q);
    assert_eq!((page["totalHits"].clone(), page["data"][0]["version"].clone()), (json!(1), json!("1.0.0")));
    push("Entry.Lib", "1.1.0");
    push("Entry.Lib", "2.0.0-beta");
    let page = answer(&app, q);
    assert_eq!(page["data"][0]["version"], "2.0.0-beta");
    assert_eq!(versions(&page), ["1.0.0", "1.1.0", "2.0.0-beta"]);
    assert_eq!(answer(&app, "q=entrytest")["data"][0]["version"], "1.1.0", "stable clients see the stable one");

    // Unlist, then relist.
    assert_eq!(app.delete(&key, "Entry.Lib", "1.1.0").status(), 204);
    assert_eq!(versions(&answer(&app, q)), ["1.0.0", "2.0.0-beta"]);
    assert_eq!(answer(&app, "q=entrytest")["data"][0]["version"], "1.0.0");
    assert_eq!(app.relist(&key, "Entry.Lib", "1.1.0").status(), 204);
    assert_eq!(versions(&answer(&app, q)), ["1.0.0", "1.1.0", "2.0.0-beta"]);

    // A deprecation: search hits carry none, and the answer stays the database's.
    let r = app
        .client
        .put(app.url("/api/packages/Entry.Lib/versions/1.0.0/deprecation"))
        .header("X-NuGet-ApiKey", &key)
        .header("Content-Type", "application/json")
        .body(r#"{"reasons":["Legacy"],"message":"Use 1.1.0."}"#)
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(versions(&answer(&app, q)), ["1.0.0", "1.1.0", "2.0.0-beta"]);

    // Owners changed by another process (the CLI): added, then removed.
    owners(&app, &["add", "Entry.Lib", "bob"]);
    assert_eq!(answer(&app, q)["data"][0]["owners"], json!(["alice", "bob"]));
    owners(&app, &["remove", "Entry.Lib", "alice"]);
    assert_eq!(answer(&app, q)["data"][0]["owners"], json!(["bob"]));

    // A reserved prefix marks the hit verified; removing it clears the mark.
    assert!(galley::services::prefixes::reserve(&app.state, "Entry.", "root").unwrap());
    assert_eq!(answer(&app, q)["data"][0]["verified"], true);
    assert!(galley::services::prefixes::remove(&app.state, "Entry.", "root").unwrap());
    assert_eq!(answer(&app, q)["data"][0]["verified"], false);

    // A hard delete of one version, then of the rest: the id leaves search.
    assert_eq!(app.delete(&admin_key, "Entry.Lib", "2.0.0-beta").status(), 204);
    assert_eq!(versions(&answer(&app, q)), ["1.0.0", "1.1.0"]);
    for version in ["1.0.0", "1.1.0"] {
        assert_eq!(app.delete(&admin_key, "Entry.Lib", version).status(), 204);
    }
    assert_eq!(answer(&app, q)["totalHits"], 0);
}

/// A seeded set of ids and versions (prereleases, SemVer 2.0, unlisted ones, icons): every page
/// of several queries, under each pair of flags, is the database path's to the byte.
#[test]
fn pages_match_the_database_path_on_a_seeded_set() {
    seeded_pages_match(&app());
}

/// Past `[cache] search_mb` (here: nothing held) the hits are read per page, and the pages are
/// the same bytes.
#[test]
fn pages_match_the_database_path_with_no_entry_held() {
    let app = app_holding_mb(0);
    seeded_pages_match(&app);
    assert_eq!(app.get("/v3/query?q=seeded.plain").json::<Value>().unwrap()["data"][0]["version"], "2.0.0");
}

fn seeded_pages_match(app: &TestApp) {
    let (_, key) = app.user_with_key("alice");
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let mut next = |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    for n in 0..30 {
        let id = format!("Seeded.Set{n}");
        for minor in 0..=next(4) {
            let version = match next(4) {
                0 => format!("1.{minor}.0-rc.{n}"),
                1 => format!("1.{minor}.0+build.{n}"),
                _ => format!("1.{minor}.0"),
            };
            let extra = match next(3) {
                0 => "<tags>seeded alpha</tags><summary>Short.</summary>".to_owned(),
                1 => format!("<tags>seeded beta</tags><title>Seeded {n}</title><projectUrl>https://example.test/{n}</projectUrl>"),
                _ => "<tags>seeded</tags><authors>Ann, Bo</authors>".to_owned(),
            };
            assert_eq!(app.push(Some(&key), &nupkg_extra(&id, &version, &extra)).status(), 201);
            if next(5) == 0 {
                assert_eq!(app.delete(&key, &id, &version).status(), 204);
            }
        }
    }
    app.push_ok(&key, "Seeded.Plain", "1.0.0");
    assert_eq!(app.push(Some(&key), &nupkg("Seeded.Plain", "2.0.0")).status(), 201);
    for q in ["q=seeded", "q=seeded%20beta", "q=alpha", "q=seeded.set1", "q=", "q=tags:seeded&take=7&skip=3"] {
        for flags in ["", "&prerelease=true", "&semVerLevel=2.0.0", "&prerelease=true&semVerLevel=2.0.0"] {
            answer(app, &format!("{q}{flags}"));
        }
    }
}

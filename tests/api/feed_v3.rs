//! v3 read endpoints: service index, flat container, registration hives, search, autocomplete.
use crate::helpers::{nupkg, nupkg_extra, nupkg_named, nuspec, spawn_app, TestApp};
use serde_json::{json, Value};
use std::io::Read;

fn gunzip(bytes: &[u8]) -> Value {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes).read_to_string(&mut text).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Registration documents of the gzip hives arrive gzip-encoded, as on nuget.org.
fn get_gz_json(app: &TestApp, path: &str) -> Value {
    let client = reqwest::blocking::Client::builder().no_gzip().build().unwrap();
    let r = client.get(app.url(path)).send().unwrap();
    assert_eq!(r.status(), 200, "GET {path}");
    assert_eq!(r.headers()["content-encoding"], "gzip");
    gunzip(&r.bytes().unwrap())
}

fn seeded() -> (TestApp, String) {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    let deps = r#"<dependencies><group targetFramework="net6.0"><dependency id="Acme.Core" version="1.0.0" /></group><group targetFramework="netstandard2.0" /></dependencies>"#;
    for (id, version, extra) in [
        ("Acme.Core", "1.0.0", "<tags>acme core</tags>"),
        ("Acme.Core", "1.1.0", "<tags>acme core</tags><license type=\"expression\">MIT</license><projectUrl>https://example.org/acme</projectUrl>"),
        ("Acme.Core", "2.0.0-beta.1", "<tags>acme core</tags>"),
        ("Acme.Core", "2.0.0-alpha", "<tags>acme core</tags>"),
        ("Acme.App", "1.0.0", deps),
    ] {
        assert_eq!(app.push(Some(&key), &nupkg_extra(id, version, extra)).status(), 201, "{id} {version}");
    }
    (app, key)
}

#[test]
fn service_index_lists_every_resource_with_absolute_urls() {
    let app = spawn_app();
    let index = app.get_json("/v3/index.json");
    assert_eq!(index["version"], "3.0.0");
    let resources = index["resources"].as_array().unwrap();
    let find = |t: &str| {
        resources.iter().find(|r| r["@type"] == t).unwrap_or_else(|| panic!("no {t}"))["@id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let base = &app.base;
    assert_eq!(find("PackagePublish/2.0.0"), format!("{base}/api/v2/package"));
    assert_eq!(find("PackageBaseAddress/3.0.0"), format!("{base}/v3/flatcontainer/"));
    assert_eq!(find("RegistrationsBaseUrl/3.0.0-beta"), format!("{base}/v3/registration/"));
    assert_eq!(find("RegistrationsBaseUrl/3.4.0"), format!("{base}/v3/registration-gz/"));
    assert_eq!(find("RegistrationsBaseUrl/3.6.0"), format!("{base}/v3/registration-gz-semver2/"));
    for t in [
        "SearchQueryService",
        "SearchQueryService/3.0.0-beta",
        "SearchQueryService/3.0.0-rc",
        "SearchQueryService/3.5.0",
    ] {
        assert_eq!(find(t), format!("{base}/v3/query"));
    }
    for t in [
        "SearchAutocompleteService/3.0.0-beta",
        "SearchAutocompleteService/3.0.0-rc",
        "SearchAutocompleteService/3.5.0",
    ] {
        assert_eq!(find(t), format!("{base}/v3/autocomplete"));
    }
    assert_eq!(find("PackageDetailsUriTemplate/5.1.0"), format!("{base}/packages/{{id}}/{{version}}"));
    assert_eq!(find("LegacyGallery/2.0.0"), format!("{base}/api/v2/"));
    assert!(find("ReadmeUriTemplate/6.13.0").starts_with(base));
    assert!(find("ReportAbuseUriTemplate/3.0.0-rc").starts_with(base));
    assert!(resources.iter().all(|r| r["@id"].as_str().unwrap().starts_with("http://")));
}

#[test]
fn urls_follow_the_configured_base_url_with_a_path_prefix() {
    let app = crate::helpers::spawn_app_with(|c| c.base_url = "https://nuget.example.com/feed/".into());
    let index = app.get_json("/v3/index.json");
    assert!(index["resources"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["@id"].as_str().unwrap().starts_with("https://nuget.example.com/feed/")));
}

#[test]
fn flat_container_serves_versions_and_identical_bytes() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    let bytes = nupkg_named(
        &nuspec("Acme.Core", "1.0.0-Beta", "<readme>docs/README.md</readme>"),
        "Acme.Core",
        &[("docs/README.md", b"# Hello")],
    );
    assert_eq!(app.push(Some(&key), &bytes).status(), 201);
    assert_eq!(app.push(Some(&key), &nupkg("Acme.Core", "0.9.0")).status(), 201);

    let r = app.get("/v3/flatcontainer/Acme.Core/index.json");
    assert_eq!(r.headers()["content-type"], "application/json");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(r.json::<Value>().unwrap(), json!({"versions": ["0.9.0", "1.0.0-beta"]}));
    let r = app
        .client
        .get(app.url("/v3/flatcontainer/acme.core/index.json"))
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(r.status(), 304);

    let r = app.get("/v3/flatcontainer/acme.core/1.0.0-beta/acme.core.1.0.0-beta.nupkg");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    assert!(r.headers().contains_key("etag"));
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert_eq!(r.bytes().unwrap().as_ref(), bytes.as_slice());

    let r =
        app.client.head(app.url("/v3/flatcontainer/acme.core/1.0.0-beta/acme.core.1.0.0-beta.nupkg")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], bytes.len().to_string().as_str());

    let r = app
        .client
        .get(app.url("/v3/flatcontainer/acme.core/1.0.0-beta/acme.core.1.0.0-beta.nupkg"))
        .header("Range", "bytes=0-9")
        .send()
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().unwrap().as_ref(), &bytes[..10]);
    let r = app
        .client
        .get(app.url("/v3/flatcontainer/acme.core/1.0.0-beta/acme.core.1.0.0-beta.nupkg"))
        .header("Range", "bytes=999999-")
        .send()
        .unwrap();
    assert_eq!(r.status(), 416);
    assert_eq!(r.headers()["content-range"], format!("bytes */{}", bytes.len()).as_str());
    let package_etag =
        app.get("/v3/flatcontainer/acme.core/1.0.0-beta/acme.core.1.0.0-beta.nupkg").headers()["etag"].clone();
    let r = app
        .client
        .get(app.url("/v3/flatcontainer/acme.core/1.0.0-beta/acme.core.1.0.0-beta.nupkg"))
        .header("If-None-Match", package_etag)
        .send()
        .unwrap();
    assert_eq!(r.status(), 304);

    let nuspec_text = app.get("/v3/flatcontainer/acme.core/1.0.0-beta/acme.core.nuspec").text().unwrap();
    assert!(nuspec_text.contains("<id>Acme.Core</id>"));
    assert_eq!(app.get("/v3/flatcontainer/acme.core/1.0.0-beta/readme").text().unwrap(), "# Hello");
    assert_eq!(app.get("/v3/flatcontainer/acme.core/0.9.0/readme").status(), 404);

    for missing in [
        "/v3/flatcontainer/nope/index.json",
        "/v3/flatcontainer/acme.core/3.0.0/acme.core.3.0.0.nupkg",
        "/v3/flatcontainer/acme.core/0.9.0/other.0.9.0.nupkg",
        "/v3/flatcontainer/acme.core/not-a-version/acme.core.nuspec",
    ] {
        assert_eq!(app.get(missing).status(), 404, "{missing}");
    }
}

#[test]
fn downloads_are_counted_in_memory_and_flushed() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push(Some(&key), &nupkg("Acme.Core", "1.0.0"));
    for _ in 0..3 {
        assert_eq!(app.get("/v3/flatcontainer/acme.core/1.0.0/acme.core.1.0.0.nupkg").status(), 200);
    }
    assert_eq!(app.get_json("/v3/query?q=Acme.Core")["data"][0]["totalDownloads"], 0);
    assert_eq!(galley::jobs::flush_downloads(&app.state).unwrap(), 3);
    let result = app.get_json("/v3/query?q=Acme.Core");
    assert_eq!(result["data"][0]["totalDownloads"], 3);
    assert_eq!(result["data"][0]["versions"][0]["downloads"], 3);
}

#[test]
fn registration_hives_filter_semver2_and_carry_catalog_entries() {
    let (app, _) = seeded();
    let legacy = app.get_json("/v3/registration/acme.core/index.json");
    assert_eq!(legacy["count"], 1);
    let page = &legacy["items"][0];
    assert_eq!(page["lower"], "1.0.0");
    assert_eq!(page["upper"], "2.0.0-alpha");
    let versions: Vec<&str> =
        page["items"].as_array().unwrap().iter().map(|l| l["catalogEntry"]["version"].as_str().unwrap()).collect();
    assert_eq!(versions, ["1.0.0", "1.1.0", "2.0.0-alpha"], "no SemVer 2.0 in the legacy hive");

    let semver2 = get_gz_json(&app, "/v3/registration-gz-semver2/acme.core/index.json");
    let versions: Vec<&str> = semver2["items"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["catalogEntry"]["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["1.0.0", "1.1.0", "2.0.0-alpha", "2.0.0-beta.1"]);
    let gz = get_gz_json(&app, "/v3/registration-gz/acme.core/index.json");
    assert_eq!(gz["items"][0]["count"], 3);

    let leaf = &legacy["items"][0]["items"][1];
    let base = &app.base;
    assert_eq!(leaf["@id"], format!("{base}/v3/registration/acme.core/1.1.0.json"));
    assert_eq!(leaf["packageContent"], format!("{base}/v3/flatcontainer/acme.core/1.1.0/acme.core.1.1.0.nupkg"));
    assert_eq!(leaf["registration"], format!("{base}/v3/registration/acme.core/index.json"));
    let entry = &leaf["catalogEntry"];
    assert_eq!(entry["id"], "Acme.Core");
    assert_eq!(entry["listed"], true);
    assert_eq!(entry["licenseExpression"], "MIT");
    assert_eq!(entry["projectUrl"], "https://example.org/acme");
    assert_eq!(entry["tags"], json!(["acme", "core"]));
    assert_eq!(entry["authors"], "Test Author");
    assert_eq!(entry["description"], "Description of Acme.Core");
    assert_eq!(entry["requireLicenseAcceptance"], false);
    assert!(entry["published"].as_str().unwrap().starts_with("20"));

    let app_reg = app.get_json("/v3/registration/acme.app/index.json");
    let groups = &app_reg["items"][0]["items"][0]["catalogEntry"]["dependencyGroups"];
    assert_eq!(groups[0]["targetFramework"], "net6.0");
    assert_eq!(groups[0]["dependencies"][0]["id"], "Acme.Core");
    assert_eq!(groups[0]["dependencies"][0]["range"], "[1.0.0, )");
    assert_eq!(groups[0]["dependencies"][0]["registration"], format!("{base}/v3/registration/acme.core/index.json"));
    assert_eq!(groups[1]["targetFramework"], "netstandard2.0");
    assert!(groups[1].get("dependencies").is_none());

    let leaf_doc = app.get_json("/v3/registration/acme.core/1.1.0.json");
    assert_eq!(leaf_doc["listed"], true);
    assert_eq!(leaf_doc["packageContent"], format!("{base}/v3/flatcontainer/acme.core/1.1.0/acme.core.1.1.0.nupkg"));
    assert_eq!(
        app.get("/v3/registration/acme.core/2.0.0-beta.1.json").status(),
        404,
        "SemVer 2.0 leaf only in the 3.6.0 hive"
    );
    assert_eq!(app.get("/v3/registration/nope/index.json").status(), 404);
    assert_eq!(app.get("/v3/registration-other/acme.core/index.json").status(), 404);
}

#[test]
fn registration_pages_are_separate_above_128_versions() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    for patch in 0..130 {
        assert_eq!(app.push(Some(&key), &nupkg("Many.Versions", &format!("1.0.{patch}"))).status(), 201);
    }
    let index = app.get_json("/v3/registration/many.versions/index.json");
    assert_eq!(index["count"], 3);
    let first = &index["items"][0];
    assert!(first.get("items").is_none(), "pages are not inlined above 128 versions");
    assert_eq!(first["count"], 64);
    assert_eq!(first["lower"], "1.0.0");
    assert_eq!(first["upper"], "1.0.63");
    let page_url = first["@id"].as_str().unwrap().strip_prefix(&app.base).unwrap().to_owned();
    let page = app.get_json(&page_url);
    assert_eq!(page["items"].as_array().unwrap().len(), 64);
    assert_eq!(page["items"][63]["catalogEntry"]["version"], "1.0.63");
    assert_eq!(index["items"][2]["count"], 2);
}

#[test]
fn search_returns_latest_versions_under_the_flags() {
    let (app, _) = seeded();
    let r = app.get_json("/v3/query?q=acme");
    assert_eq!(r["totalHits"], 2);
    let core = r["data"].as_array().unwrap().iter().find(|d| d["id"] == "Acme.Core").unwrap();
    assert_eq!(core["version"], "1.1.0");
    assert_eq!(core["versions"].as_array().unwrap().len(), 2);
    assert_eq!(core["owners"], json!(["alice"]));
    assert_eq!(core["authors"], json!(["Test Author"]));
    assert_eq!(core["packageTypes"], json!([{"name": "Dependency"}]));
    assert_eq!(core["registration"], format!("{}/v3/registration/acme.core/index.json", app.base));
    assert_eq!(core["verified"], false);

    let r = app.get_json("/v3/query?q=acme&prerelease=true");
    let core = r["data"].as_array().unwrap().iter().find(|d| d["id"] == "Acme.Core").unwrap();
    assert_eq!(core["version"], "2.0.0-alpha");
    let r = app.get_json("/v3/query?q=acme&prerelease=true&semVerLevel=2.0.0");
    let core = r["data"].as_array().unwrap().iter().find(|d| d["id"] == "Acme.Core").unwrap();
    assert_eq!(core["version"], "2.0.0-beta.1");
    assert_eq!(core["registration"], format!("{}/v3/registration-gz-semver2/acme.core/index.json", app.base));
}

#[test]
fn search_ranks_an_exact_id_first_and_supports_field_syntax() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push(
        Some(&key),
        &nupkg_extra("Json.Helpers", "1.0.0", "<tags>json json json</tags><title>Json Json Json</title>"),
    );
    app.push(Some(&key), &nupkg_extra("Json", "1.0.0", "<tags>other</tags>"));
    app.push(Some(&key), &nupkg_extra("Unrelated", "1.0.0", "<tags>web</tags>"));
    let r = app.get_json("/v3/query?q=json");
    assert_eq!(r["totalHits"], 2);
    assert_eq!(r["data"][0]["id"], "Json");
    assert_eq!(app.get_json("/v3/query?q=tags:web")["data"][0]["id"], "Unrelated");
    assert_eq!(app.get_json("/v3/query?q=packageid:json.helpers")["totalHits"], 1);
    assert_eq!(app.get_json("/v3/query?q=owner:alice")["totalHits"], 3);
    assert_eq!(app.get_json("/v3/query?q=author:nobody")["totalHits"], 0);
    assert_eq!(app.get_json("/v3/query?q=version:1.0.0 json")["totalHits"], 2);
    assert_eq!(app.get_json("/v3/query?q=jso")["totalHits"], 2, "prefix match");
    assert_eq!(app.get_json("/v3/query?q=")["totalHits"], 3);
    let page = app.get_json("/v3/query?q=&skip=1&take=1");
    assert_eq!(page["totalHits"], 3);
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    // FTS syntax in user input is text, not an error.
    assert_eq!(app.get("/v3/query?q=%22json%20OR%20NEAR(a*").status(), 200);
}

/// Search and autocomplete answers are cached per search generation: every change that alters an
/// answer (push, unlist, a download-count flush, an owner added by another process) shows at once.
#[test]
fn cached_search_answers_follow_every_change() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.create_user("bob", false);
    let hits = |app: &TestApp| {
        let r = app.get_json("/v3/query?q=cachetest");
        r["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let autocomplete = |app: &TestApp| app.get_json("/v3/autocomplete?q=cache")["data"].clone();
    app.push_ok(&key, "Cache.One", "1.0.0");
    assert_eq!(app.push(Some(&key), &nupkg_extra("Cache.Two", "1.0.0", "<tags>cachetest</tags>")).status(), 201);
    assert_eq!(hits(&app), ["Cache.Two"]);
    assert_eq!(hits(&app), ["Cache.Two"], "asked twice: the second answer comes from the cache");
    assert_eq!(autocomplete(&app), json!(["Cache.One", "Cache.Two"]));

    assert_eq!(app.push(Some(&key), &nupkg_extra("Cache.Three", "1.0.0", "<tags>cachetest</tags>")).status(), 201);
    let mut found = hits(&app);
    found.sort();
    assert_eq!(found, ["Cache.Three", "Cache.Two"], "a push shows in a query answered before it");
    assert_eq!(autocomplete(&app), json!(["Cache.One", "Cache.Three", "Cache.Two"]));

    assert_eq!(app.delete(&key, "Cache.Three", "1.0.0").status(), 204);
    assert_eq!(hits(&app), ["Cache.Two"], "an unlisted package leaves the cached answer");
    assert_eq!(autocomplete(&app), json!(["Cache.One", "Cache.Two"]));

    assert_eq!(app.get("/v3/flatcontainer/cache.two/1.0.0/cache.two.1.0.0.nupkg").status(), 200);
    app.state.downloads.flush(&app.state.db).unwrap();
    assert_eq!(app.get_json("/v3/query?q=cachetest")["data"][0]["totalDownloads"], 1);

    // Another process (the CLI) changes the owners: the running server's cached answer follows.
    let out = app
        .command()
        .args(["owner", "add", "Cache.Two", "bob", "--data-dir"])
        .arg(&app.state.config.data_dir)
        .env("GALLEY_LOG", "error")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(app.get_json("/v3/query?q=cachetest")["data"][0]["owners"], json!(["alice", "bob"]));
}

/// Documents are named by their content: re-rendering unchanged documents (the hourly reindex
/// job) keeps their ETag, so clients' cached copies stay valid; any change gives a new one.
#[test]
fn document_etags_change_with_the_content_only() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push_ok(&key, "Acme.Core", "1.0.0");
    let etag = |path: &str| app.get(path).headers()["etag"].to_str().unwrap().to_owned();
    let registration = "/v3/registration-gz-semver2/acme.core/index.json";
    let flat = "/v3/flatcontainer/acme.core/index.json";
    let (first_registration, first_flat) = (etag(registration), etag(flat));

    galley::services::maintenance::reindex(&app.state).unwrap();
    assert_eq!(etag(registration), first_registration, "re-rendered without a change");
    assert_eq!(etag(flat), first_flat);

    assert_eq!(app.delete(&key, "Acme.Core", "1.0.0").status(), 204);
    let unlisted = etag(registration);
    assert_ne!(unlisted, first_registration, "unlisting changes the registration");
    let r = app.client.get(app.url(registration)).header("If-None-Match", &first_registration).send().unwrap();
    assert_eq!(r.status(), 200, "a client holding the old document gets the new one");

    assert_eq!(app.relist(&key, "Acme.Core", "1.0.0").status(), 204);
    assert_eq!(etag(registration), first_registration, "the same documents as before the unlist");
    let r = app.client.get(app.url(registration)).header("If-None-Match", &first_registration).send().unwrap();
    assert_eq!(r.status(), 304);
}

/// A restore that looked an id up just before a push to it switched readers over (and removed
/// the old generation folder) still gets the id's documents: the new ones, with their ETag.
#[test]
fn a_document_read_after_its_generation_is_gone_answers_from_the_new_one() {
    use galley::protocol::urls::Hive;
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push_ok(&key, "Busy.Lib", "1.0.0");
    let before = app.state.docs.lookup("busy.lib").unwrap();
    app.push_ok(&key, "Busy.Lib", "1.0.1");
    let after = app.state.docs.lookup("busy.lib").unwrap();
    assert_ne!(before.generation, after.generation);
    assert!(!before.dir.exists(), "the old generation folder is gone");

    let serve = |name: &str| {
        let req = actix_web::test::TestRequest::default().to_http_request();
        let path = before.registration(Hive::Legacy, name);
        actix_web::rt::System::new().block_on(galley::http::files::serve_document(
            &req,
            &app.state.docs,
            "busy.lib",
            &before,
            &path,
            false,
        ))
    };
    let response = serve("index").unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().get("etag").unwrap().to_str().unwrap(), after.etag());
    let body = actix_web::rt::System::new().block_on(actix_web::body::to_bytes(response.into_body())).unwrap();
    let index: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(index["items"][0]["upper"], "1.0.1");
    // A document the new generation does not have is a 404, not an error.
    assert_eq!(serve("1.0.9").unwrap_err().to_string(), "The requested resource does not exist.");
}

/// With every memory cache off (`[cache]` all 0), each request reads the id's pack: every change
/// shows at once, and nothing is served from an id's earlier documents.
#[test]
fn with_every_memory_cache_off_the_restore_path_follows_every_change() {
    let app = crate::helpers::spawn_app_with(|c| {
        c.cache =
            galley::config::CacheConfig { documents_mb: 0, packages_mb: 0, answers_mb: 0, search_mb: 0, ids_mb: 0 };
        c.publish.delete_mode = galley::config::DeleteMode::Hard;
    });
    let (_, key) = app.user_with_key("alice");
    app.push_ok(&key, "Cold.Lib", "1.0.0");
    let versions = |app: &TestApp| app.get_json("/v3/flatcontainer/cold.lib/index.json")["versions"].clone();
    assert_eq!(versions(&app), json!(["1.0.0"]));
    app.push_ok(&key, "Cold.Lib", "1.1.0");
    assert_eq!(versions(&app), json!(["1.0.0", "1.1.0"]));
    assert_eq!(get_gz_json(&app, "/v3/registration-gz-semver2/cold.lib/index.json")["items"][0]["upper"], "1.1.0");
    let download = app.get("/v3/flatcontainer/cold.lib/1.1.0/cold.lib.1.1.0.nupkg");
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().unwrap(), nupkg("Cold.Lib", "1.1.0"));
    // Unlisting changes the registration at once; the version stays restorable, as on nuget.org.
    assert_eq!(app.delete(&key, "Cold.Lib", "1.1.0").status(), 204);
    assert_eq!(app.get_json("/v3/registration/cold.lib/1.1.0.json")["listed"], false);
    assert_eq!(app.get_json("/v3/registration/cold.lib/1.0.0.json")["listed"], true);
    assert_eq!(versions(&app), json!(["1.0.0", "1.1.0"]));
    assert_eq!(app.get("/v3/flatcontainer/cold.lib/9.0.0/cold.lib.9.0.0.nupkg").status(), 404);
}

#[test]
fn search_rejects_malformed_parameters() {
    let app = spawn_app();
    for (query, message) in [
        ("take=abc", "The 'take' parameter must be a non-negative integer, not 'abc'."),
        ("skip=-1", "The 'skip' parameter must be a non-negative integer, not '-1'."),
        ("take=1001", "The 'take' parameter must be at most 1000."),
        ("prerelease=maybe", "The 'prerelease' parameter must be true or false, not 'maybe'."),
        ("semVerLevel=two", "The 'semVerLevel' parameter must be a version such as 2.0.0, not 'two'."),
    ] {
        let r = app.get(&format!("/v3/query?q=x&{query}"));
        assert_eq!(r.status(), 400, "{query}");
        assert_eq!(r.text().unwrap(), message);
    }
}

#[test]
fn autocomplete_by_prefix_and_versions_by_id() {
    let (app, key) = seeded();
    app.delete(&key, "Acme.Core", "1.0.0");
    let r = app.get_json("/v3/autocomplete?q=acme");
    assert_eq!(r["totalHits"], 2);
    let mut ids: Vec<&str> = r["data"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["Acme.App", "Acme.Core"]);
    assert_eq!(app.get_json("/v3/autocomplete?q=zzz")["data"], json!([]));
    assert_eq!(app.get_json("/v3/autocomplete?id=acme.core")["data"], json!(["1.1.0"]));
    assert_eq!(
        app.get_json("/v3/autocomplete?id=acme.core&prerelease=true&semVerLevel=2.0.0")["data"],
        json!(["1.1.0", "2.0.0-alpha", "2.0.0-beta.1"])
    );
}

#[test]
fn packages_with_only_semver2_versions_are_hidden_from_old_clients() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push(Some(&key), &nupkg("Only.SemVer2", "1.0.0+build.5"));
    assert_eq!(app.get_json("/v3/query?q=only")["totalHits"], 0);
    let r = app.get_json("/v3/query?q=only&semVerLevel=2.0.0");
    assert_eq!(r["data"][0]["version"], "1.0.0+build.5");
    assert_eq!(app.get("/v3/registration/only.semver2/index.json").status(), 404);
    assert_eq!(app.get_json("/v3/flatcontainer/only.semver2/index.json")["versions"], json!(["1.0.0"]));
}

#[test]
fn documents_left_stale_by_a_crash_are_rendered_again_at_start() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push(Some(&key), &nupkg("Acme.Core", "1.0.0"));
    app.push(Some(&key), &nupkg("Other.Lib", "1.0.0"));
    // A crash after the commit of a relist-like change, before its render: the change count moved on.
    app.sql(
        "UPDATE packages SET docs_changes = docs_changes + 1 WHERE id_lower = 'acme.core';
         UPDATE package_versions SET listed = 0;",
    );
    assert_eq!(app.state.docs.render_stale(&app.state.db).unwrap(), 1, "only the stale id is rendered");
    let reg = app.get_json("/v3/registration/acme.core/index.json");
    assert_eq!(reg["items"][0]["items"][0]["catalogEntry"]["listed"], false);
    assert_eq!(app.state.docs.render_stale(&app.state.db).unwrap(), 0);
}

/// A package of `payload` bytes that do not compress, so the `.nupkg` is about as large.
fn large_nupkg(id: &str, payload: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let noise: Vec<u8> = (0..payload)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect();
    crate::helpers::nupkg_named(&nuspec(id, "1.0.0", ""), id, &[("lib/net6.0/payload.bin", &noise)])
}

/// Packages past one 64 KB slice come out whole and exact, with their length, from memory (up to
/// an eighth of `[cache] packages_mb`) and from the disk (past it); ranges across slices too.
#[test]
fn large_packages_are_served_whole_from_memory_and_from_disk() {
    // 1 MB: packages up to 128 KB are held in memory.
    let app = crate::helpers::spawn_app_with(|c| c.cache.packages_mb = 1);
    let (_, key) = app.user_with_key("alice");
    for (id, payload) in [("Held.Pkg", 100_000), ("Disk.Pkg", 300_000)] {
        let bytes = large_nupkg(id, payload);
        assert_eq!(app.push(Some(&key), &bytes).status(), 201);
        let lower = id.to_lowercase();
        let path = format!("/v3/flatcontainer/{lower}/1.0.0/{lower}.1.0.0.nupkg");
        // The first answer reads the file, the second comes from wherever it is kept.
        for _ in 0..2 {
            let r = app.get(&path);
            assert_eq!(r.status(), 200, "{id}");
            assert_eq!(r.headers()["content-length"], bytes.len().to_string().as_str(), "{id}");
            assert!(r.bytes().unwrap() == bytes, "{id}: the bytes pushed");
        }
        let head = app.client.head(app.url(&path)).send().unwrap();
        assert_eq!(head.status(), 200);
        assert_eq!(head.headers()["content-length"], bytes.len().to_string().as_str(), "{id}");
        let r = app.client.get(app.url(&path)).header("Range", "bytes=65530-65545").send().unwrap();
        assert_eq!(r.status(), 206, "{id}");
        assert_eq!(r.headers()["content-range"], format!("bytes 65530-65545/{}", bytes.len()).as_str(), "{id}");
        assert_eq!(r.bytes().unwrap().as_ref(), &bytes[65530..=65545], "{id}");
    }
}

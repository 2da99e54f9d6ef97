//! Deprecation (owners, API and portal) and advisories (admin API and CLI): what is stored, what
//! the registration leaves of every hive and the `VulnerabilityInfo` files carry, and every
//! refusal with its exact message and nothing stored.
use crate::helpers::{galley_command, spawn_app, status_text, Session, TestApp};
use crate::portal::forms::{get_page, post_as};
use serde_json::{json, Value};
use std::io::Read;

const DEPRECATION: &str = "/api/packages/Acme.Core/versions/1.0.0/deprecation";

/// A registration index of any hive, gunzipped when the hive is gzip-encoded.
fn registration(app: &TestApp, hive: &str, id: &str) -> Value {
    let r = app.get(&format!("/v3/{hive}/{id}/index.json"));
    assert_eq!(r.status(), 200, "{hive} {id}");
    let gzipped = r.headers().get("content-encoding").is_some_and(|v| v == "gzip");
    let bytes = r.bytes().unwrap();
    let mut text = String::new();
    if gzipped {
        flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).unwrap();
    } else {
        text = String::from_utf8(bytes.to_vec()).unwrap();
    }
    serde_json::from_str(&text).unwrap()
}

/// The catalog entry of `version` in every hive (they must agree).
fn entries(app: &TestApp, id: &str, version: &str) -> Vec<Value> {
    ["registration", "registration-gz", "registration-gz-semver2"]
        .iter()
        .map(|hive| {
            let index = registration(app, hive, id);
            let leaves = index["items"][0]["items"].as_array().unwrap().clone();
            leaves
                .into_iter()
                .find(|l| l["catalogEntry"]["version"] == version)
                .unwrap_or_else(|| panic!("{version} in {hive}"))["catalogEntry"]
                .clone()
        })
        .collect()
}

fn put(app: &TestApp, path: &str, key: Option<&str>, session: Option<&Session>, body: &str) -> (u16, String) {
    let mut req = app.client.put(app.url(path)).header("Content-Type", "application/json").body(body.to_owned());
    if let Some(k) = key {
        req = req.header("X-NuGet-ApiKey", k);
    }
    if let Some(s) = session {
        req = req.header("Cookie", &s.cookie).header("X-Galley-Csrf", &s.csrf);
    }
    status_text(req.send().unwrap())
}

fn seeded() -> (TestApp, String) {
    let app = spawn_app();
    let alice = app.create_user("alice", false);
    let key = app.create_key(alice, "push,unlist", &[]);
    app.push_ok(&key, "Acme.Core", "1.0.0");
    app.push_ok(&key, "Acme.Core", "2.0.0");
    (app, key)
}

#[test]
fn an_owner_deprecates_with_a_key_and_every_hive_carries_it_at_once() {
    let (app, key) = seeded();
    // Rendered before the change: the cached documents must not be served after it.
    assert!(entries(&app, "acme.core", "1.0.0")[0].get("deprecation").is_none());
    let body = r#"{"reasons":["Legacy","CriticalBugs"],"message":"Use 2.0.0.","alternatePackage":{"id":"Acme.Core","range":"[2.0.0, )"}}"#;
    assert_eq!(put(&app, DEPRECATION, Some(&key), None, body), (204, String::new()));
    let base = &app.base;
    for entry in entries(&app, "acme.core", "1.0.0") {
        let leaf = entry["@id"].as_str().unwrap().trim_end_matches("#catalogEntry").to_owned();
        assert!(leaf.starts_with(base), "{leaf}");
        assert_eq!(
            entry["deprecation"],
            json!({
                "@id": format!("{leaf}#deprecation"),
                "reasons": ["Legacy", "CriticalBugs"],
                "message": "Use 2.0.0.",
                "alternatePackage": { "@id": format!("{leaf}#deprecation/alternatePackage"), "id": "Acme.Core", "range": "[2.0.0, )" }
            })
        );
        assert!(entry.get("vulnerabilities").is_none(), "no advisory, no field");
    }
    assert!(entries(&app, "acme.core", "2.0.0")[0].get("deprecation").is_none());
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'package.deprecate' AND version = '1.0.0'"), 1);

    // Without an alternate range the alternate is "any version", written "*" as nuget.org does.
    let (s, _) =
        put(&app, DEPRECATION, Some(&key), None, r#"{"reasons":["other"],"alternatePackage":{"id":"Other.Lib"}}"#);
    assert_eq!(s, 204);
    let d = &entries(&app, "acme.core", "1.0.0")[2]["deprecation"];
    assert_eq!((d["reasons"].clone(), d["alternatePackage"]["range"].clone()), (json!(["Other"]), json!("*")));
    assert!(d.get("message").is_none());

    // Withdrawn: gone from the documents; withdrawing again says there is nothing to withdraw.
    let del =
        |k: &str| status_text(app.client.delete(app.url(DEPRECATION)).header("X-NuGet-ApiKey", k).send().unwrap());
    assert_eq!(del(&key), (204, String::new()));
    assert!(entries(&app, "acme.core", "1.0.0")[1].get("deprecation").is_none());
    assert_eq!(del(&key), (404, "The package 'Acme.Core' version '1.0.0' is not deprecated.".into()));
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'package.undeprecate'"), 1);
}

#[test]
fn bad_deprecations_are_refused_and_nothing_is_stored() {
    let (app, key) = seeded();
    let bob = app.create_user("bob", false);
    let bobs_key = app.create_key(bob, "push,unlist", &[]);
    let alice = app.count("SELECT id FROM users WHERE username = 'alice'");
    let push_only = app.create_key(alice, "push", &[]);
    let good = r#"{"reasons":["Legacy"]}"#;
    let cases: [(&str, Option<&str>, &str, u16, &str); 11] = [
        (DEPRECATION, Some(&key), "{}", 400, "Give at least one deprecation reason: Legacy, CriticalBugs or Other."),
        (DEPRECATION, Some(&key), r#"{"reasons":["Old"]}"#, 400, "'Old' is not a deprecation reason; use Legacy, CriticalBugs or Other."),
        (DEPRECATION, Some(&key), r#"{"reasons":["Legacy"],"alternatePackage":{"id":"bad id"}}"#, 400, "'bad id' is not a valid alternate package id: the package id contains ' '; only letters, digits, '.', '-' and '_' are allowed."),
        (DEPRECATION, Some(&key), r#"{"reasons":["Legacy"],"alternatePackage":{"id":"B","range":"[1.0"}}"#, 400, "'[1.0' is not a valid version range for the alternate package."),
        (DEPRECATION, Some(&key), &format!(r#"{{"reasons":["Legacy"],"message":"{}"}}"#, "m".repeat(4001)), 400, "The deprecation message is longer than 4000 characters."),
        (DEPRECATION, Some(&key), "not json", 400, "The request body is not valid JSON: expected ident at line 1 column 2."),
        (DEPRECATION, None, good, 401, "Sign in first (POST /api/account/signin); this needs a session."),
        (DEPRECATION, Some(&bobs_key), good, 403, "The package 'Acme.Core' is owned by another account; only its owners may deprecate it."),
        (DEPRECATION, Some(&push_only), good, 403, "This API key is not allowed to deprecate packages (it lacks the unlist scope)."),
        ("/api/packages/Acme.Core/versions/9.9.9/deprecation", Some(&key), good, 404, "The package 'Acme.Core' version '9.9.9' does not exist."),
        ("/api/packages/No.Such/versions/1.0.0/deprecation", Some(&key), good, 404, "The package 'No.Such' version '1.0.0' does not exist."),
    ];
    for (path, k, body, status, message) in cases {
        assert_eq!(put(&app, path, k, None, body), (status, message.to_owned()), "{body}");
    }
    // A signed-in non-owner, through the session.
    let bob_session = app.sign_in("bob");
    assert_eq!(
        put(&app, DEPRECATION, None, Some(&bob_session), good),
        (403, "The package 'Acme.Core' is owned by another account; only its owners may deprecate it.".into())
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM deprecations"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'package.%deprecate'"), 0);
    // The owner's own session may.
    let alice_session = app.sign_in("alice");
    assert_eq!(put(&app, DEPRECATION, None, Some(&alice_session), good).0, 204);
}

#[test]
fn the_portal_form_deprecates_and_the_package_page_shows_the_banner() {
    let (app, _) = seeded();
    let alice = app.sign_in("alice");
    let form = "/account/packages/Acme.Core/1.0.0/deprecation";
    let manage = get_page(&app, "/account/packages", Some(&alice)).text().unwrap();
    assert!(manage.contains(&format!("action=\"{form}\"")), "{manage}");
    // Bad input: the message, nothing stored.
    let r = post_as(&app, form, &alice, &[("message", "x")]);
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("Give at least one deprecation reason: Legacy, CriticalBugs or Other."));
    let r = post_as(&app, form, &alice, &[("reasons", "Legacy"), ("alternate_range", "[1.0.0, )")]);
    assert_eq!(r.status(), 400);
    assert!(r
        .text()
        .unwrap()
        .contains("A version range for the alternate package needs the alternate package id too."));
    app.create_user("bob", false);
    let bob = app.sign_in("bob");
    assert_eq!(post_as(&app, form, &bob, &[("reasons", "Legacy")]).status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM deprecations"), 0);

    let r = post_as(
        &app,
        form,
        &alice,
        &[
            ("reasons", "Legacy"),
            ("reasons", "CriticalBugs"),
            ("message", "Broken; move on."),
            ("alternate_id", "Acme.Next"),
            ("alternate_range", "[3.0.0, )"),
            ("csrf_extra", ""),
        ],
    );
    assert_eq!(r.status(), 303);
    let page = app.get("/packages/Acme.Core/1.0.0").text().unwrap();
    for fragment in [
        "This package version is deprecated: it is no longer maintained and has critical bugs.",
        "Broken; move on.",
        "Suggested alternative: <a href=\"/packages/Acme.Core",
        ">Acme.Next</a> &#62;= 3.0.0",
    ] {
        let fragment = fragment.replace("/packages/Acme.Core", "/packages/Acme.Next");
        assert!(page.contains(&fragment), "missing {fragment:?} in {page}");
    }
    assert!(!app.get("/packages/Acme.Core/2.0.0").text().unwrap().contains("id=\"deprecation\""));
    assert!(get_page(&app, "/account/packages", Some(&alice))
        .text()
        .unwrap()
        .contains("deprecated: Legacy, CriticalBugs"));
    assert_eq!(post_as(&app, form, &alice, &[("remove", "true")]).status(), 303);
    assert!(!app.get("/packages/Acme.Core/1.0.0").text().unwrap().contains("id=\"deprecation\""));
}

#[test]
fn advisories_reach_the_vulnerability_files_the_leaves_and_the_page() {
    let (app, _) = seeded();
    app.create_user("root", true);
    let admin = app.sign_in("root");
    let index = app.get_json("/v3/index.json");
    let vuln = index["resources"].as_array().unwrap().iter().find(|r| r["@type"] == "VulnerabilityInfo/6.7.0").unwrap();
    let index_url = format!("{}/v3/vulnerabilities/index.json", app.base);
    assert_eq!(vuln["@id"], index_url.as_str());
    assert_eq!(app.get_json("/v3/vulnerabilities/base.json"), json!({}));

    let add = |body: Value| status_text(app.post_json("/api/admin/advisories", Some(&admin), body));
    let (s, text) = add(
        json!({"id": "Acme.Core", "range": "[1.0.0, 1.2.0)", "severity": "high", "url": "https://example.com/GHSA-1"}),
    );
    assert_eq!(s, 201, "{text}");
    let number: Value = serde_json::from_str(&text).unwrap();
    // An advisory for an id not pushed yet is kept for when it is.
    assert_eq!(
        add(json!({"id": "Other.Lib", "range": "(, 5.0.0]", "severity": "critical", "url": "https://example.com/o"})).0,
        201
    );

    let files = app.get_json("/v3/vulnerabilities/index.json");
    let pages = files.as_array().unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!((pages[0]["@name"].clone(), pages[1]["@name"].clone()), (json!("base"), json!("update")));
    assert_eq!(pages[0]["@id"], format!("{}/v3/vulnerabilities/base.json", app.base));
    assert!(pages[0]["@updated"].as_str().unwrap().starts_with("20"));
    assert_eq!(
        app.get_json("/v3/vulnerabilities/base.json"),
        json!({
            "acme.core": [{ "severity": 2, "url": "https://example.com/GHSA-1", "versions": "[1.0.0, 1.2.0)" }],
            "other.lib": [{ "severity": 3, "url": "https://example.com/o", "versions": "(, 5.0.0]" }]
        })
    );
    assert_eq!(app.get_json("/v3/vulnerabilities/update.json"), json!({}));
    assert_eq!(app.get("/v3/vulnerabilities/other.json").status(), 404);

    for entry in entries(&app, "acme.core", "1.0.0") {
        let v = &entry["vulnerabilities"];
        assert_eq!(v.as_array().unwrap().len(), 1);
        assert_eq!(
            (v[0]["advisoryUrl"].clone(), v[0]["severity"].clone()),
            (json!("https://example.com/GHSA-1"), json!("2"))
        );
    }
    assert!(entries(&app, "acme.core", "2.0.0")[0].get("vulnerabilities").is_none());
    let page = app.get("/packages/Acme.Core/1.0.0").text().unwrap();
    assert!(page.contains("This package version has known security vulnerabilities."));
    assert!(page.contains("<span class=\"badge badge-warning\">high</span> <a href=\"https://example.com/GHSA-1\""));

    // Bad input: exact messages, nothing stored.
    for (body, status, message) in [
        (
            json!({"id": "Acme.Core", "range": "[1.0.0, 1.2.0)", "severity": "high", "url": "https://example.com/GHSA-1"}),
            409,
            "An advisory for 'Acme.Core' [1.0.0, 1.2.0) with that URL is already recorded.",
        ),
        (
            json!({"id": "Acme.Core", "range": "", "severity": "high", "url": "https://x.example"}),
            400,
            "Give the affected versions as a version range, such as \"[1.0.0, 1.2.0)\".",
        ),
        (
            json!({"id": "Acme.Core", "range": "[1.0", "severity": "high", "url": "https://x.example"}),
            400,
            "'[1.0' is not a valid version range.",
        ),
        (
            json!({"id": "Acme.Core", "range": "1.0", "severity": "severe", "url": "https://x.example"}),
            400,
            "'severe' is not a severity; use low, moderate, high or critical.",
        ),
        (
            json!({"id": "Acme.Core", "range": "1.0", "severity": "low", "url": "javascript:alert(1)"}),
            400,
            "'javascript:alert(1)' is not an absolute http(s) URL; give the advisory's address.",
        ),
    ] {
        assert_eq!(add(body.clone()), (status, message.to_owned()), "{body}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM advisories"), 2);
    let listed: Value = app.get_as("/api/admin/advisories", &admin).json().unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);

    let remove = |n: &str| status_text(app.delete_as(&format!("/api/admin/advisories/{n}"), &admin));
    assert_eq!(remove(&number["id"].to_string()), (204, String::new()));
    assert_eq!(remove(&number["id"].to_string()), (404, format!("There is no advisory {}.", number["id"])));
    assert_eq!(remove("x"), (404, "There is no advisory x.".into()));
    assert!(entries(&app, "acme.core", "1.0.0")[2].get("vulnerabilities").is_none());
    assert!(!app.get("/packages/Acme.Core/1.0.0").text().unwrap().contains("known security vulnerabilities"));
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'advisory.%'"), 3);
}

#[test]
fn galley_advisory_adds_lists_and_removes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let run = |args: &[&str]| {
        let out = galley_command().args(args).arg("--data-dir").arg(&data).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&[
        "advisory",
        "add",
        "Acme.Core",
        "--range",
        "[1.0.0, 1.2.0)",
        "--severity",
        "high",
        "--url",
        "https://example.com/a",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "Recorded advisory 1: Acme.Core [1.0.0, 1.2.0) (high) https://example.com/a.\n");
    let (code, _, err) = run(&[
        "advisory",
        "add",
        "Acme.Core",
        "--range",
        "[1.0",
        "--severity",
        "high",
        "--url",
        "https://example.com/b",
    ]);
    assert_eq!((code, err.trim()), (Some(2), "error: '[1.0' is not a valid version range."));
    let (_, out, _) = run(&["advisory", "list"]);
    assert_eq!(out, "1\tAcme.Core\t[1.0.0, 1.2.0)\thigh\thttps://example.com/a\n");
    let (code, out, _) = run(&["advisory", "remove", "1"]);
    assert_eq!((code, out.as_str()), (Some(0), "Removed advisory 1: Acme.Core [1.0.0, 1.2.0).\n"));
    assert_eq!(run(&["advisory", "list"]).1, "No advisories recorded.\n");
    let (code, _, err) = run(&["advisory", "remove", "1"]);
    assert_eq!((code, err.trim()), (Some(1), "error: There is no advisory 1."));
}

#[test]
fn on_a_private_feed_a_key_deprecates_without_basic_credentials() {
    let app = crate::helpers::spawn_app_with(|c| c.feed.require_auth = true);
    let alice = app.create_user("alice", false);
    let key = app.create_key(alice, "push,unlist", &[]);
    app.push_ok(&key, "Acme.Core", "1.0.0");
    let good = r#"{"reasons":["Legacy"]}"#;
    assert_eq!(put(&app, DEPRECATION, Some("not-a-key"), None, good).0, 403);
    let (status, _) = put(&app, DEPRECATION, None, None, good);
    assert_eq!(status, 401, "no key, no session: Basic credentials are asked for");
    assert_eq!(app.count("SELECT COUNT(*) FROM deprecations"), 0);
    assert_eq!(put(&app, DEPRECATION, Some(&key), None, good), (204, String::new()));
}

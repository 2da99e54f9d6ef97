//! Upstream read-through in process: a second Galley (a real server on loopback) is the upstream.
//! The full client flows (nuget.exe, nginx, offline) are in tests/upstream/run.py.
use crate::helpers::{nupkg, spawn_app, spawn_app_with, status_text, TestApp};
use galley::config::{DeleteMode, UpstreamConfig};

/// An upstream holding the given packages, and a Galley reading through from it.
fn pair(upstream_packages: &[(&str, &str)], tweak: impl FnOnce(&mut galley::config::Config)) -> (TestApp, TestApp) {
    let upstream = spawn_app();
    let (_, key) = upstream.user_with_key("carol");
    for (id, version) in upstream_packages {
        upstream.push_ok(&key, id, version);
    }
    let url = upstream.url("/v3/index.json");
    let app = spawn_app_with(move |c| {
        c.upstream = vec![UpstreamConfig {
            name: "up".into(),
            url,
            exclude: vec!["Excl.*".into()],
            ..UpstreamConfig::default()
        }];
        tweak(c);
    });
    (upstream, app)
}

fn bytes(app: &TestApp, path: &str) -> (u16, Vec<u8>) {
    let r = app.get(path);
    (r.status().as_u16(), r.bytes().unwrap().to_vec())
}

#[test]
fn an_upstream_package_is_served_with_the_upstreams_bytes_and_marked_mirrored() {
    let (upstream, app) = pair(&[("Mir.Pkg", "1.0.0"), ("Mir.Pkg", "2.0.0")], |_| {});
    assert_eq!(app.get_json("/v3/flatcontainer/mir.pkg/index.json")["versions"], serde_json::json!(["1.0.0", "2.0.0"]));
    let path = "/v3/flatcontainer/mir.pkg/1.0.0/mir.pkg.1.0.0.nupkg";
    let (status, body) = bytes(&app, path);
    assert_eq!(status, 200);
    assert_eq!(body, bytes(&upstream, path).1);
    assert_eq!(app.count("SELECT count(*) FROM packages WHERE id_lower = 'mir.pkg' AND upstream = 'up'"), 1);
    assert_eq!(app.count("SELECT count(*) FROM package_versions WHERE fetched_at IS NOT NULL"), 1);
    // Then it is a stored package: its ETag answers 304.
    let etag = app.get(path).headers()["etag"].to_str().unwrap().to_owned();
    let again = app.client.get(app.url(path)).header("If-None-Match", etag).send().unwrap();
    assert_eq!(again.status(), 304);
}

#[test]
fn a_push_to_a_mirrored_id_is_refused_and_nothing_is_stored() {
    let (_upstream, app) = pair(&[("Mir.Pkg", "1.0.0")], |_| {});
    assert_eq!(app.get("/v3/flatcontainer/mir.pkg/1.0.0/mir.pkg.1.0.0.nupkg").status(), 200);
    let before = app.stored();
    let (_, key) = app.user_with_key("alice");
    let (status, text) = status_text(app.push(Some(&key), &nupkg("Mir.Pkg", "3.0.0")));
    assert_eq!(status, 409);
    assert!(
        text.contains("The id 'Mir.Pkg' is mirrored from the upstream 'up'; local packages cannot use it. Exclude it from that upstream or choose another id."),
        "{text}"
    );
    assert_eq!(app.stored(), before);
}

#[test]
fn local_ids_even_hard_deleted_ones_excluded_ids_and_reserved_prefixes_are_never_read_through() {
    let (_upstream, app) = pair(
        &[
            ("Loc.Pkg", "1.0.0"),
            ("Loc.Pkg", "9.0.0"),
            ("Gone.Pkg", "1.0.0"),
            ("Excl.Pkg", "1.0.0"),
            ("Rsv.Pkg", "1.0.0"),
        ],
        |c| c.publish.delete_mode = DeleteMode::Hard,
    );
    let admin = app.create_user("root", true);
    let admin_key = app.create_key(admin, "push,unlist", &[]);
    app.push_ok(&admin_key, "Loc.Pkg", "1.0.0");
    app.push_ok(&admin_key, "Gone.Pkg", "1.0.0");
    assert_eq!(app.delete(&admin_key, "Gone.Pkg", "1.0.0").status(), 204);
    galley::services::prefixes::reserve(&app.state, "Rsv.", "test").unwrap();
    let before = app.stored();

    assert_eq!(app.get_json("/v3/flatcontainer/loc.pkg/index.json")["versions"], serde_json::json!(["1.0.0"]));
    for path in [
        "/v3/flatcontainer/loc.pkg/9.0.0/loc.pkg.9.0.0.nupkg",
        "/v3/flatcontainer/gone.pkg/index.json",
        "/v3/flatcontainer/gone.pkg/1.0.0/gone.pkg.1.0.0.nupkg",
        "/v3/registration/gone.pkg/index.json",
        "/v3/flatcontainer/excl.pkg/index.json",
        "/v3/flatcontainer/excl.pkg/1.0.0/excl.pkg.1.0.0.nupkg",
        "/v3/flatcontainer/rsv.pkg/index.json",
        "/v3/flatcontainer/rsv.pkg/1.0.0/rsv.pkg.1.0.0.nupkg",
        "/api/v2/package/rsv.pkg/1.0.0",
    ] {
        assert_eq!(app.get(path).status(), 404, "{path}");
    }
    assert_eq!(app.stored(), before, "nothing was fetched");
}

#[test]
fn an_unreachable_upstream_is_a_404_never_a_5xx() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = spawn_app_with(move |c| {
        c.upstream = vec![UpstreamConfig {
            name: "down".into(),
            url: format!("http://127.0.0.1:{port}/v3/index.json"),
            timeout_seconds: 2,
            ..UpstreamConfig::default()
        }];
    });
    for path in [
        "/v3/flatcontainer/any.pkg/index.json",
        "/v3/flatcontainer/any.pkg/1.0.0/any.pkg.1.0.0.nupkg",
        "/v3/registration-gz-semver2/any.pkg/index.json",
        "/api/v2/Packages(Id='Any.Pkg',Version='1.0.0')",
    ] {
        assert_eq!(app.get(path).status(), 404, "{path}");
    }
    let health = app.get_json("/health");
    assert_eq!(health["upstreams"][0]["status"], "failing");
    assert!(health["warnings"][0].as_str().unwrap().starts_with("upstream down failing"), "{health}");
    // Administrators see the counts on the admin page.
    app.create_user("root", true);
    let session = app.sign_in("root");
    let page = app.get_as("/admin", &session).text().unwrap();
    assert!(page.contains("<td>down</td><td>failing</td><td>0</td><td>0</td><td>1</td>"), "{page}");
}

#[test]
fn a_private_feed_reads_through_only_for_callers_it_lets_in() {
    let (_upstream, app) = pair(&[("Mir.Pkg", "1.0.0")], |c| c.feed.require_auth = true);
    let path = "/v3/flatcontainer/mir.pkg/1.0.0/mir.pkg.1.0.0.nupkg";
    assert_eq!(app.get(path).status(), 401);
    assert_eq!(app.get("/v3/flatcontainer/mir.pkg/index.json").status(), 401);
    assert_eq!(app.stored(), (0, 0, 0), "an anonymous request fetched nothing");
    let (_, key) = app.user_with_key("alice");
    let r = app.client.get(app.url(path)).basic_auth("alice", Some(&key)).send().unwrap();
    assert_eq!(r.status(), 200);
}

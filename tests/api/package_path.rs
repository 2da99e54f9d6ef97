//! `{id}` and `{version}` path segments through a real server: junk gets each route's own 404 and
//! message, any casing reaches the same package, and nothing is stored by asking.
use crate::helpers::{nupkg, spawn_app};
use crate::portal::forms::escaped;

const MISSING: &str = "The requested resource does not exist.";

#[test]
fn junk_ids_and_versions_get_each_routes_404() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push(Some(&key), &nupkg("Acme.Core", "1.0.0"));

    let long = "a".repeat(101);
    let feed_paths = [
        "/v3/flatcontainer/a%20b/index.json".to_owned(),
        "/v3/flatcontainer/a..b/1.0.0/a..b.1.0.0.nupkg".to_owned(),
        format!("/v3/flatcontainer/{long}/index.json"),
        "/v3/flatcontainer/acme.core/1.0.0-/acme.core.nuspec".to_owned(),
        "/v3/flatcontainer/acme.core/x.y/acme.core.x.y.nupkg".to_owned(),
        "/v3/registration/a%20b/index.json".to_owned(),
        "/v3/registration/%3Cscript%3E/1.0.0.json".to_owned(),
        "/v3/registration/acme.core/not-a-version.json".to_owned(),
        "/v3/registration/acme.core/page/x/y.json".to_owned(),
        "/api/v2/package/a%20b/1.0.0".to_owned(),
        "/api/v2/package/a%20b".to_owned(),
        "/api/v2/package/acme.core/x.y".to_owned(),
        "/api/v2/symbolpackage/acme.core/x.y".to_owned(),
        "/api/v2/symbolpackage/.acme/1.0.0".to_owned(),
    ];
    for path in &feed_paths {
        let r = app.get(path);
        assert_eq!(r.status(), 404, "GET {path}");
        assert_eq!(r.text().unwrap(), MISSING, "GET {path}");
    }

    // The v2 entry keeps its own message, naming what was asked for.
    for (path, message) in [
        ("/api/v2/Packages(Id='a b',Version='1.0.0')", "The package 'a b' version '1.0.0' does not exist."),
        ("/api/v2/Packages(Id='Acme.Core',Version='x')", "The package 'Acme.Core' version 'x' does not exist."),
    ] {
        let r = app.get(path);
        assert_eq!(r.status(), 404, "GET {path}");
        assert_eq!(r.text().unwrap(), message, "GET {path}");
    }

    // The portal's package pages answer a junk id with the page an unknown id gets.
    for (path, id) in [
        ("/packages/a%20b", "a b"),
        ("/packages/a..b/1.0.0", "a..b"),
        ("/packages/a%2Cb/1.0.0/License", "a,b"),
        ("/packages/a..b/1.0.0/ReportAbuse", "a..b"),
    ] {
        let r = app.get(path);
        assert_eq!(r.status(), 404, "GET {path}");
        let message = escaped(&format!("There is no package '{id}' on this server."));
        assert!(r.text().unwrap().contains(&message), "GET {path}: {message}");
    }

    // Asking stored nothing: the id still has its one version.
    assert_eq!(app.get_json("/v3/flatcontainer/acme.core/index.json")["versions"], serde_json::json!(["1.0.0"]));
}

#[test]
fn any_casing_reaches_the_same_package() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push(Some(&key), &nupkg("Acme.Core", "1.0.0-Beta"));
    for path in [
        "/v3/flatcontainer/ACME.Core/index.json",
        "/v3/flatcontainer/ACME.CORE/1.0.0-BETA/acme.core.1.0.0-beta.nupkg",
        "/v3/flatcontainer/acme.core/1.0-beta/acme.core.1.0.0-beta.nupkg",
        "/v3/registration/Acme.CORE/index.json",
        "/v3/registration/acme.core/1.0.0-BETA.json",
        "/api/v2/package/ACME.CORE/1.0.0-beta",
        "/api/v2/package/Acme.Core",
        // Build metadata, its `+` encoded as clients send it, names the same version.
        "/v3/flatcontainer/acme.core/1.0.0-beta%2Bbuild.1/acme.core.1.0.0-beta.nupkg",
        "/api/v2/package/acme.core/1.0.0-Beta%2Bbuild",
        "/packages/ACME.core/1.0.0-beta",
    ] {
        assert_eq!(app.get(path).status(), 200, "GET {path}");
    }
}

//! `[feed] require_auth`: every feed and download route needs HTTP Basic credentials.
use crate::helpers::{nupkg, spawn_app_with};

#[test]
fn private_feed_requires_basic_credentials_with_a_key_or_password() {
    let app = spawn_app_with(|c| c.feed.require_auth = true);
    let (_, key) = app.user_with_key("alice");
    // Pushing still works with the API key alone.
    assert_eq!(app.push(Some(&key), &nupkg("Acme.Core", "1.0.0")).status(), 201);

    for path in [
        "/v3/index.json",
        "/v3/flatcontainer/acme.core/index.json",
        "/v3/query?q=acme",
        "/v3/registration/acme.core/index.json",
    ] {
        let r = app.get(path);
        assert_eq!(r.status(), 401, "{path}");
        assert_eq!(r.headers()["www-authenticate"], "Basic realm=\"Galley\"");
        assert_eq!(
            r.text().unwrap(),
            "This feed requires credentials: use an API key (or your password) as the password."
        );
    }
    let with_key = app
        .client
        .get(app.url("/v3/flatcontainer/acme.core/index.json"))
        .basic_auth("anyone", Some(&key))
        .send()
        .unwrap();
    assert_eq!(with_key.status(), 200);
    let with_password =
        app.client.get(app.url("/v3/query?q=acme")).basic_auth("alice", Some("password-1")).send().unwrap();
    assert_eq!(with_password.status(), 200);
    let wrong = app.client.get(app.url("/v3/index.json")).basic_auth("alice", Some("wrong-password")).send().unwrap();
    assert_eq!(wrong.status(), 401);
    let garbage = app.client.get(app.url("/v3/index.json")).header("Authorization", "Basic !!!").send().unwrap();
    assert_eq!(garbage.status(), 401);
    // Health stays open for monitoring.
    assert_eq!(app.get("/health").status(), 200);
}

#[test]
fn public_feed_needs_no_credentials() {
    let app = spawn_app_with(|_| {});
    assert_eq!(app.get("/v3/index.json").status(), 200);
}

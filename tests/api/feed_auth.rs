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

/// People who sign in through a directory or an `[[oidc]]` provider have no password to type
/// into a Basic prompt: on a private feed the sign-in pages stay open and a session opens the
/// portal and the downloads it links to.
#[test]
fn private_feed_portal_opens_with_a_session_and_keeps_its_sign_in_pages_open() {
    let app = spawn_app_with(|c| c.feed.require_auth = true);
    let (_, key) = app.user_with_key("alice");
    assert_eq!(app.push(Some(&key), &nupkg("Acme.Core", "1.0.0")).status(), 201);

    let r = app.get("/packages/Acme.Core");
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Basic realm=\"Galley\"");
    assert_eq!(
        r.text().unwrap(),
        "This site requires credentials: sign in at /users/account/LogOn, or use an API key (or your password) \
         as the password."
    );
    for page in ["/users/account/LogOn", "/users/account/ForgotPassword", "/users/account/TwoFactor"] {
        assert_ne!(app.get(page).status(), 401, "{page} must stay open to sign in");
    }

    let alice = app.sign_in("alice");
    for path in ["/packages/Acme.Core", "/account", "/v3/flatcontainer/acme.core/index.json"] {
        assert_eq!(app.get_as(path, &alice).status(), 200, "{path} with a session");
    }
    let forged = app.client.get(app.url("/packages/Acme.Core")).header("Cookie", "galley_session=forged").send();
    assert_eq!(forged.unwrap().status(), 401);
}

/// A session does not get round the rule that a self-registered account confirms its address
/// before it reads a private feed; the account API stays usable so that it can.
#[test]
fn private_feed_session_of_an_unconfirmed_account_reads_no_packages() {
    let app = spawn_app_with(|c| {
        c.feed.require_auth = true;
        c.accounts.private_feed_registration = true;
    });
    let body = serde_json::json!({ "username": "newbie", "email": "newbie@example.com", "password": "correct horse" });
    assert_eq!(app.post_json("/api/account/register", None, body).status(), 201);
    let newbie = app.sign_in_with("newbie", "correct horse");
    for path in ["/packages", "/v3/index.json"] {
        let (status, text) = crate::helpers::status_text(app.get_as(path, &newbie));
        assert_eq!(
            (status, text.as_str()),
            (403, "Confirm your email address before reading this private feed: open the link we emailed you."),
            "{path}"
        );
    }
    assert_eq!(app.get_as("/api/account", &newbie).status(), 200);
}

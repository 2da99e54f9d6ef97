//! Sign-in, the session cookie, CSRF and the sign-in rate limit.
use crate::helpers::{spawn_app, spawn_app_with, status_text, Session};
use chrono::Duration;
use serde_json::json;

#[test]
fn sign_in_sets_a_hardened_cookie_and_the_account_is_readable() {
    let app = spawn_app();
    app.create_user("alice", true);
    let r = app.post_json("/api/account/signin", None, json!({ "username": "ALICE", "password": "password-1" }));
    assert_eq!(r.status(), 200);
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.starts_with("galley_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=1209600"] {
        assert!(cookie.contains(attribute), "{attribute} missing in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    let body: serde_json::Value = r.json().unwrap();
    assert_eq!(body["account"]["username"], "alice");
    assert_eq!(body["account"]["is_admin"], true);
    // Only a hash of the token is stored.
    let token = cookie.split(';').next().unwrap().trim_start_matches("galley_session=").to_owned();
    assert_eq!(app.count("SELECT count(*) FROM sessions"), 1);
    let conn = app.db();
    let stored: i64 = (&conn as &dyn galley::db::sql::Sql)
        .query_row(
            "SELECT count(*) FROM sessions WHERE token_hash = ?1",
            galley::values![token.as_bytes().to_vec()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 0);

    let session =
        Session { cookie: format!("galley_session={token}"), csrf: body["csrf_token"].as_str().unwrap().to_owned() };
    let me: serde_json::Value = app.get_as("/api/account", &session).json().unwrap();
    assert_eq!(me["account"]["email"], "alice@example.com");
    assert_eq!(me["csrf_token"], body["csrf_token"]);
    let (s, text) = status_text(app.get("/api/account"));
    assert_eq!((s, text.as_str()), (401, "Sign in first (POST /api/account/signin); this needs a session."));
}

#[test]
fn cookie_is_secure_and_scoped_behind_an_https_base_url() {
    let app = spawn_app_with(|c| c.base_url = "https://nuget.example.com/feed".into());
    app.create_user("alice", false);
    let r = app.post_json("/api/account/signin", None, json!({ "username": "alice", "password": "password-1" }));
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.contains("Secure") && cookie.contains("Path=/feed"), "{cookie}");
}

#[test]
fn failures_say_nothing_about_which_accounts_exist() {
    let app = spawn_app();
    app.create_user("alice", false);
    app.create_user("carol", false);
    galley::services::accounts::set_disabled(&app.state, "carol", true, "test").unwrap();
    for (name, password) in [("alice", "wrong password"), ("nobody", "password-1"), ("carol", "password-1")] {
        let (s, text) =
            status_text(app.post_json("/api/account/signin", None, json!({ "username": name, "password": password })));
        assert_eq!((s, text.as_str()), (401, "The username or password is incorrect."), "{name}");
    }
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE action = 'signin.failed'"), 3);
    assert_eq!(app.count("SELECT count(*) FROM sessions"), 0);
}

#[test]
fn unsafe_requests_need_the_sessions_csrf_token() {
    let app = spawn_app();
    app.create_user("alice", false);
    let session = app.sign_in("alice");
    let forged = Session { csrf: String::new(), ..session.clone() };
    let (s, text) = status_text(app.post_json("/api/account/signout", Some(&forged), json!({})));
    assert_eq!(s, 403);
    assert_eq!(text, "This request needs the X-Galley-Csrf header with the session's CSRF token (returned by sign-in and GET /api/account).");
    let other = app.sign_in("alice");
    let mixed = Session { csrf: other.csrf.clone(), ..session.clone() };
    assert_eq!(app.post_json("/api/account/signout", Some(&mixed), json!({})).status(), 403);
    // Reading needs no token.
    assert_eq!(app.get_as("/api/account", &forged).status(), 200);

    let r = app.post_json("/api/account/signout", Some(&session), json!({}));
    assert_eq!(r.status(), 204);
    assert!(r.headers().get("set-cookie").unwrap().to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(app.get_as("/api/account", &session).status(), 401);
    assert_eq!(app.get_as("/api/account", &other).status(), 200);
}

#[test]
fn expired_sessions_are_refused() {
    let app = spawn_app();
    app.create_user("alice", false);
    let session = app.sign_in("alice");
    let lifetime = Duration::days(i64::from(app.state.config.accounts.session_days));
    app.advance(lifetime - Duration::seconds(5));
    assert_eq!(app.get_as("/api/account", &session).status(), 200, "still valid just before its expiry");
    app.advance(Duration::seconds(6));
    assert_eq!(app.get_as("/api/account", &session).status(), 401);
    assert_eq!(app.count("SELECT count(*) FROM sessions"), 0);
}

#[test]
fn repeated_failures_are_rate_limited_per_account_and_address() {
    let app = spawn_app();
    app.create_user("alice", false);
    for _ in 0..10 {
        let r =
            app.post_json("/api/account/signin", None, json!({ "username": "alice", "password": "wrong password" }));
        assert_eq!(r.status(), 401);
    }
    // Even the right password is refused while the limit holds.
    let (s, text) = status_text(app.post_json(
        "/api/account/signin",
        None,
        json!({ "username": "alice", "password": "password-1" }),
    ));
    assert_eq!((s, text.as_str()), (429, "Too many failed sign-in attempts; try again in 15 minutes."));
    // Other names from the same address keep their own budget (tests/api/security.rs covers the
    // per-account and per-address budgets).
    let r = app.post_json("/api/account/signin", None, json!({ "username": "someone-else", "password": "x" }));
    assert_eq!(r.status(), 401);
}

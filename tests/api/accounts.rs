//! Registration, email confirmation, password changes and resets.
use crate::helpers::{link_token, nupkg, spawn_app, spawn_app_with, status_text};
use serde_json::json;

fn register(app: &crate::helpers::TestApp, name: &str, email: &str, password: &str) -> reqwest::blocking::Response {
    app.post_json("/api/account/register", None, json!({ "username": name, "email": email, "password": password }))
}

#[test]
fn registration_creates_an_unconfirmed_account_and_emails_a_link() {
    let app = spawn_app();
    let r = register(&app, "Alice", "alice@example.com", "correct horse");
    assert_eq!(r.status(), 201);
    let body: serde_json::Value = r.json().unwrap();
    assert_eq!(
        body,
        json!({ "username": "Alice", "email": "alice@example.com", "email_confirmed": false, "awaiting_approval": false })
    );
    let mail = app.wait_for_mail("alice@example.com");
    assert!(mail.contains("Subject: Confirm your email address"), "{mail}");
    let token = link_token(&mail, "/account/confirm-email");

    let r = app.post_json("/api/account/confirm-email", None, json!({ "token": token }));
    let (s, text) = status_text(r);
    assert_eq!(s, 200, "{text}");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap()["email_confirmed"], true);
    // Single use.
    let (status, text) = status_text(app.post_json("/api/account/confirm-email", None, json!({ "token": token })));
    assert_eq!(
        (status, text.as_str()),
        (400, "This confirmation link is not valid: it was already used or replaced by a newer one.")
    );
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE action = 'account.register'"), 1);
}

#[test]
fn bad_registrations_are_refused_with_a_reason_and_store_nothing() {
    let app = spawn_app();
    assert_eq!(register(&app, "alice", "alice@example.com", "correct horse").status(), 201);
    let cases = [
        (json!({ "username": ".bad", "email": "b@example.com", "password": "correct horse" }), 400,
         "'.bad' is not a valid username: use 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit."),
        (json!({ "username": "bob", "email": "bob-at-example.com", "password": "correct horse" }), 400,
         "'bob-at-example.com' is not a valid email address."),
        (json!({ "username": "bob", "email": "bob@example.com", "password": "short" }), 400,
         "The password must be at least 8 characters long."),
        (json!({ "username": "ALICE", "email": "other@example.com", "password": "correct horse" }), 409,
         "That username is already taken; choose another."),
        (json!({ "username": "bob", "email": "bob@example.com" }), 400,
         "The request body does not have the expected fields: missing field `password` at line 1 column 44."),
    ];
    for (body, status, message) in cases {
        let (s, text) = status_text(app.post_json("/api/account/register", None, body.clone()));
        assert_eq!((s, text.as_str()), (status, message), "{body}");
    }
    let r = app
        .client
        .post(app.url("/api/account/register"))
        .header("Content-Type", "application/json")
        .body("{\"username\": ")
        .send()
        .unwrap();
    let (s, text) = status_text(r);
    assert_eq!(
        (s, text.as_str()),
        (400, "The request body is not valid JSON: EOF while parsing a value at line 1 column 13.")
    );
    let r = app.client.post(app.url("/api/account/register")).body("username=bob").send().unwrap();
    let (s, text) = status_text(r);
    assert_eq!((s, text.as_str()), (400, "Send the request body as JSON, with Content-Type: application/json."));
    assert_eq!(app.count("SELECT count(*) FROM users"), 1);
}

#[test]
fn registration_can_be_closed() {
    let app = spawn_app_with(|c| c.accounts.allow_registration = false);
    let (s, text) = status_text(register(&app, "alice", "alice@example.com", "correct horse"));
    assert_eq!(
        (s, text.as_str()),
        (403, "Registration is closed on this server; ask an administrator for an account.")
    );
    assert_eq!(app.count("SELECT count(*) FROM users"), 0);
}

#[test]
fn unconfirmed_accounts_cannot_publish_when_confirmation_is_required() {
    let app = spawn_app_with(|c| c.accounts.require_confirmed_email = true);
    assert_eq!(register(&app, "alice", "alice@example.com", "correct horse").status(), 201);
    let session = app.sign_in_with("alice", "correct horse");
    let r = app.post_json("/api/keys", Some(&session), json!({ "description": "ci", "scopes": ["push"] }));
    assert_eq!(r.status(), 201);
    let key = r.json::<serde_json::Value>().unwrap()["key"].as_str().unwrap().to_owned();
    let (s, text) = status_text(app.push(Some(&key), &nupkg("Alice.Lib", "1.0.0")));
    assert_eq!(s, 403);
    assert_eq!(text, galley::services::permissions::CONFIRM_EMAIL_FIRST);
    assert_eq!(app.stored(), (0, 0, 0));

    let token = link_token(&app.wait_for_mail("alice@example.com"), "/account/confirm-email");
    assert_eq!(app.post_json("/api/account/confirm-email", None, json!({ "token": token })).status(), 200);
    app.push_ok(&key, "Alice.Lib", "1.0.0");
}

#[test]
fn resending_the_confirmation_retires_the_old_link() {
    let app = spawn_app();
    assert_eq!(register(&app, "alice", "alice@example.com", "correct horse").status(), 201);
    let first = link_token(&app.wait_for_mail("alice@example.com"), "/account/confirm-email");
    let session = app.sign_in_with("alice", "correct horse");
    assert_eq!(app.post_json("/api/account/confirm-email/resend", Some(&session), json!({})).status(), 202);
    let second = link_token(&app.wait_for_mail_count("alice@example.com", 2), "/account/confirm-email");
    assert_eq!(app.post_json("/api/account/confirm-email", None, json!({ "token": first })).status(), 400);
    assert_eq!(app.post_json("/api/account/confirm-email", None, json!({ "token": second })).status(), 200);
    let (s, text) = status_text(app.post_json("/api/account/confirm-email/resend", Some(&session), json!({})));
    assert_eq!((s, text.as_str()), (409, "The address alice@example.com is already confirmed."));
}

#[test]
fn changing_the_email_takes_effect_when_the_new_address_confirms() {
    let app = spawn_app();
    app.create_user("alice", false);
    app.create_user("bob", false);
    let session = app.sign_in("alice");
    let (s, text) = status_text(app.post_json(
        "/api/account/email",
        Some(&session),
        json!({ "email": "new@example.com", "current_password": "wrong password" }),
    ));
    assert_eq!((s, text.as_str()), (403, "The current password is incorrect."));
    let (s, text) = status_text(app.post_json(
        "/api/account/email",
        Some(&session),
        json!({ "email": "bob@example.com", "current_password": "password-1" }),
    ));
    assert_eq!((s, text.as_str()), (409, "That username or email address is already registered."));
    let r = app.post_json(
        "/api/account/email",
        Some(&session),
        json!({ "email": "new@example.com", "current_password": "password-1" }),
    );
    assert_eq!(r.status(), 202);
    let me: serde_json::Value = app.get_as("/api/account", &session).json().unwrap();
    assert_eq!(me["account"]["email"], "alice@example.com");
    let token = link_token(&app.wait_for_mail("new@example.com"), "/account/confirm-email");
    let r = app.post_json("/api/account/confirm-email", None, json!({ "token": token }));
    assert_eq!(r.json::<serde_json::Value>().unwrap()["email"], "new@example.com");
}

#[test]
fn changing_the_password_checks_the_current_one_and_ends_other_sessions() {
    let app = spawn_app();
    app.create_user("alice", false);
    let here = app.sign_in("alice");
    let elsewhere = app.sign_in("alice");
    let body = json!({ "current_password": "not it at all", "new_password": "a new password" });
    let (s, text) = status_text(app.post_json("/api/account/password", Some(&here), body));
    assert_eq!((s, text.as_str()), (403, "The current password is incorrect."));
    let body = json!({ "current_password": "password-1", "new_password": "short" });
    let (s, text) = status_text(app.post_json("/api/account/password", Some(&here), body));
    assert_eq!((s, text.as_str()), (400, "The password must be at least 8 characters long."));
    let body = json!({ "current_password": "password-1", "new_password": "a new password" });
    assert_eq!(app.post_json("/api/account/password", Some(&here), body).status(), 204);
    assert_eq!(app.get_as("/api/account", &here).status(), 200);
    assert_eq!(app.get_as("/api/account", &elsewhere).status(), 401);
    app.sign_in_with("alice", "a new password");
}

#[test]
fn password_reset_by_emailed_single_use_expiring_link() {
    let app = spawn_app();
    app.create_user("alice", false);
    let old_session = app.sign_in("alice");
    // The same answer for an unknown account, and no mail.
    let r = app.post_json("/api/account/password-reset", None, json!({ "username": "nobody" }));
    assert_eq!(r.status(), 202);
    let r = app.post_json("/api/account/password-reset", None, json!({ "username": "alice@example.com" }));
    assert_eq!(r.status(), 202);
    let mail = app.wait_for_mail("alice@example.com");
    assert!(mail.contains("Subject: Reset your password"), "{mail}");
    let token = link_token(&mail, "/account/reset-password");
    assert_eq!(app.mails_to("nobody@example.com").len(), 0);

    let (s, text) = status_text(app.post_json(
        "/api/account/password-reset/complete",
        None,
        json!({ "token": token, "new_password": "short" }),
    ));
    assert_eq!((s, text.as_str()), (400, "The password must be at least 8 characters long."));
    let r = app.post_json(
        "/api/account/password-reset/complete",
        None,
        json!({ "token": token, "new_password": "brand new secret" }),
    );
    assert_eq!(r.status(), 204);
    let (s, text) = status_text(app.post_json(
        "/api/account/password-reset/complete",
        None,
        json!({ "token": token, "new_password": "another secret" }),
    ));
    assert_eq!(
        (s, text.as_str()),
        (400, "This password reset link is not valid: it was already used or replaced by a newer one.")
    );
    assert_eq!(app.get_as("/api/account", &old_session).status(), 401);
    app.sign_in_with("alice", "brand new secret");

    // An expired link.
    assert_eq!(app.post_json("/api/account/password-reset", None, json!({ "username": "alice" })).status(), 202);
    let token = link_token(&app.wait_for_mail_count("alice@example.com", 2), "/account/reset-password");
    app.advance(
        chrono::Duration::hours(i64::from(app.state.config.accounts.password_reset_hours))
            + chrono::Duration::seconds(1),
    );
    let (s, text) = status_text(app.post_json(
        "/api/account/password-reset/complete",
        None,
        json!({ "token": token, "new_password": "another secret" }),
    ));
    assert_eq!((s, text.as_str()), (410, "This password reset link has expired; request a new one."));
}

#[test]
fn administrators_create_promote_and_disable_accounts() {
    let app = spawn_app_with(|c| c.accounts.allow_registration = false);
    app.create_user("root", true);
    app.create_user("bob", false);
    let root = app.sign_in("root");
    let r = app.post_json(
        "/api/admin/users",
        Some(&root),
        json!({ "username": "carol", "email": "carol@example.com", "password": "correct horse" }),
    );
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<serde_json::Value>().unwrap()["email_confirmed"], true);
    let carol = app.sign_in_with("carol", "correct horse");
    assert_eq!(app.get_as("/api/admin/users", &carol).status(), 403);

    assert_eq!(app.post_json("/api/admin/users/carol", Some(&root), json!({ "is_admin": true })).status(), 204);
    assert_eq!(app.get_as("/api/admin/users", &carol).status(), 200);
    assert_eq!(app.post_json("/api/admin/users/bob", Some(&carol), json!({ "is_disabled": true })).status(), 204);
    let (s, text) =
        status_text(app.post_json("/api/account/signin", None, json!({ "username": "bob", "password": "password-1" })));
    assert_eq!((s, text.as_str()), (401, "The username or password is incorrect."));
    let (s, text) = status_text(app.post_json("/api/admin/users/root", Some(&root), json!({ "is_admin": false })));
    assert_eq!(
        (s, text.as_str()),
        (409, "Administrators cannot remove their own role or disable themselves; ask another administrator.")
    );
    let users: serde_json::Value = app.get_as("/api/admin/users", &root).json().unwrap();
    assert_eq!(users.as_array().unwrap().len(), 3);
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE action IN ('user.create', 'admin.grant', 'user.disable') AND actor_name IN ('root', 'carol')"), 3);
}

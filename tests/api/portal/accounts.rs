//! Sign in, register and sign out through the HTML forms.
use super::forms::{anon, assert_redirect, escaped, field_error, get_page, hidden, location, post_as, post_form};
use crate::helpers::spawn_app;

#[test]
fn sign_in_sets_the_session_and_follows_only_local_return_urls() {
    let app = spawn_app();
    app.create_user("alice", false);
    let page = get_page(&app, "/users/account/LogOn?returnUrl=%2Faccount%2Fapikeys", None).text().unwrap();
    assert_eq!(hidden(&page, "returnUrl"), "/account/apikeys");
    let r = post_as(
        &app,
        "/users/account/LogOn",
        &anon(&app, "/users/account/LogOn"),
        &[("username", "alice"), ("password", "password-1"), ("returnUrl", "/account/apikeys")],
    );
    assert!(r.headers().get("set-cookie").unwrap().to_str().unwrap().starts_with("galley_session="));
    assert_redirect(r, "/account/apikeys");
    for evil in ["https://evil.example/", "//evil.example/x", "/\\evil.example"] {
        let r = post_as(
            &app,
            "/users/account/LogOn",
            &anon(&app, "/users/account/LogOn"),
            &[("username", "alice"), ("password", "password-1"), ("returnUrl", evil)],
        );
        assert_redirect(r, "/");
    }
}

#[test]
fn sign_in_errors_show_beside_the_field_and_keep_the_username() {
    let app = spawn_app();
    app.create_user("alice", false);
    let r = post_as(
        &app,
        "/users/account/LogOn",
        &anon(&app, "/users/account/LogOn"),
        &[("username", "alice"), ("password", "wrong-password")],
    );
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("set-cookie").is_none());
    let body = r.text().unwrap();
    assert!(body.contains(&field_error("password", "The username or password is incorrect.")), "{body}");
    assert!(body.contains("value=\"alice\""), "{body}");
    let body = post_as(
        &app,
        "/users/account/LogOn",
        &anon(&app, "/users/account/LogOn"),
        &[("username", " "), ("password", "x")],
    )
    .text()
    .unwrap();
    assert!(body.contains(&field_error("username", "Enter your username or email address.")), "{body}");
}

#[test]
fn register_creates_the_account_and_sends_the_confirmation_then_the_visitor_signs_in() {
    let app = spawn_app();
    let fields = [
        ("username", "newbie"),
        ("email", "newbie@example.com"),
        ("password", "a-good-password"),
        ("returnUrl", "/packages/manage/upload"),
    ];
    let r = post_as(&app, "/users/account/Register", &anon(&app, "/users/account/Register"), &fields);
    // Not signed in here: the answer must look the same when the address already has an account.
    assert!(r.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with("galley_session=")));
    let body = r.text().unwrap();
    assert!(body.contains("We sent a link to newbie@example.com to confirm the address."), "{body}");
    assert!(body.contains("/users/account/LogOn?returnUrl=%2Fpackages%2Fmanage%2Fupload"), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE username = 'newbie'"), 1);
    assert!(app.wait_for_mail("newbie@example.com").contains("/account/confirm-email?token="));
}

#[test]
fn register_errors_are_shown_beside_their_field_and_nothing_is_stored() {
    let app = spawn_app();
    app.create_user("taken", false);
    let cases = [
        (("bad name!", "x@example.com", "a-good-password"), "username", None),
        (
            ("fresh", "not-an-email", "a-good-password"),
            "email",
            Some("&#39;not-an-email&#39; is not a valid email address."),
        ),
        (("fresh", "fresh@example.com", "short"), "password", Some("The password must be at least 8 characters long.")),
        (
            ("taken", "other@example.com", "a-good-password"),
            "username",
            Some("That username is already taken; choose another."),
        ),
    ];
    for ((username, email, password), field, message) in cases {
        let before = app.count("SELECT COUNT(*) FROM users");
        let r = post_as(
            &app,
            "/users/account/Register",
            &anon(&app, "/users/account/Register"),
            &[("username", username), ("email", email), ("password", password)],
        );
        assert_eq!(r.status(), 400, "{username}");
        let body = r.text().unwrap();
        let shown = message.map_or_else(|| format!("id=\"f-{field}-error\""), |m| field_error(field, m));
        assert!(body.contains(&shown), "{field}: {body}");
        assert!(body.contains(&format!("value=\"{}\"", escaped(email))), "keeps what was typed: {body}");
        assert!(!body.contains(&format!("value=\"{password}\"")), "never echoes the password");
        assert_eq!(app.count("SELECT COUNT(*) FROM users"), before);
    }
}

#[test]
fn header_shows_the_account_menu_and_sign_out_needs_the_csrf_token() {
    let app = spawn_app();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let body = get_page(&app, "/", Some(&s)).text().unwrap();
    for f in ["<summary>alice</summary>", "Manage packages", "API keys", "/users/account/LogOff"] {
        assert!(body.contains(f), "{f}: {body}");
    }
    assert!(!body.contains("href=\"/admin\""));
    assert_eq!(post_form(&app, "/users/account/LogOff", Some(&s), None, &[]).status(), 403);
    assert_eq!(post_form(&app, "/users/account/LogOff", Some(&s), Some("forged"), &[]).status(), 403);
    let r = post_as(&app, "/users/account/LogOff", &s, &[]);
    assert_redirect(r, "/");
    assert!(!get_page(&app, "/", Some(&s)).text().unwrap().contains("<summary>alice</summary>"), "the session is gone");
}

#[test]
fn signed_out_visitors_are_sent_to_sign_in_with_a_return_url() {
    let app = spawn_app();
    for path in ["/packages/manage/upload", "/packages/manage/upload/verify?upload=x"] {
        let r = get_page(&app, path, None);
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(
            location(&r),
            format!(
                "/users/account/LogOn?returnUrl={}",
                path.replace('/', "%2F").replace('?', "%3F").replace('=', "%3D")
            )
        );
    }
    let r = post_form(&app, "/users/account/LogOff", None, Some("x"), &[]);
    assert_eq!(location(&r), "/users/account/LogOn?returnUrl=%2Fusers%2Faccount%2FLogOff");
}

#[test]
fn signed_out_forms_need_the_pre_session_token() {
    let app = spawn_app();
    app.create_user("alice", false);
    let creds = [("username", "alice"), ("password", "password-1")];
    let fresh = [("username", "newbie"), ("email", "n@example.com"), ("password", "a-good-password")];
    for (path, fields) in [
        ("/users/account/LogOn", &creds[..]),
        ("/users/account/Register", &fresh[..]),
        ("/users/account/ForgotPassword", &creds[..1]),
    ] {
        let r = post_form(&app, path, None, None, fields);
        assert_eq!(r.status(), 403, "{path}: no cookie, no token");
        assert!(r.headers().get("set-cookie").is_none());
        let mut other = anon(&app, path);
        other.csrf = anon(&app, path).csrf; // a token of another browser
        assert_eq!(post_as(&app, path, &other, fields).status(), 403, "{path}: someone else's token");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users"), 1);
    assert!(app.mails_to("n@example.com").is_empty());
}

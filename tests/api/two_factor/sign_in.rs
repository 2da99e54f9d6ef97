//! The second sign-in step: in the portal (a short-lived cookie, the pre-session CSRF token, the
//! returnUrl rule) and in the JSON API (the code in the sign-in body); every refusal leaves no session.
use super::{code, enrol, Enrolled};
use crate::helpers::{spawn_app, spawn_app_with, status_text, Session, TestApp};
use crate::portal::forms::{anon, field_error, get_page, location, post_form};
use serde_json::json;

const WRONG_CODE: &str =
    "The code is incorrect; enter the current 6-digit code from your authenticator app, or a recovery code.";
const ALREADY_USED: &str = "That code was already used; wait for the next code from your authenticator app.";
const EXPIRED: &str = "This sign-in has expired; sign in with your password again.";

fn enrolled(app: &TestApp, name: &str) -> Enrolled {
    app.create_user(name, false);
    let s = app.sign_in(name);
    enrol(app, &s)
}

fn a_wrong_code(secret: &str) -> &'static str {
    let near: Vec<String> = (-1..=1).map(|o| code(secret, o)).collect();
    ["000000", "111111", "222222"].into_iter().find(|c| !near.iter().any(|n| n == c)).unwrap()
}

fn sessions(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM sessions")
}

fn cookie_of(r: &reqwest::blocking::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

/// Signs in with the password through the form: the browser (pre-session and half-signed-in
/// cookies together) and where it was sent.
fn password_step(app: &TestApp, name: &str, return_url: &str) -> (Session, String) {
    let browser = anon(app, "/users/account/LogOn");
    let fields = [("username", name), ("password", "password-1"), ("returnUrl", return_url)];
    let r = post_form(app, "/users/account/LogOn", Some(&browser), Some(&browser.csrf), &fields);
    assert_eq!(r.status(), 303);
    assert!(cookie_of(&r, "galley_session").is_none(), "no session before the code");
    let pending = cookie_of(&r, "galley_2fa").expect("the half-signed-in cookie");
    let to = location(&r);
    (Session { cookie: format!("{}; {pending}", browser.cookie), csrf: browser.csrf }, to)
}

fn code_step(app: &TestApp, browser: &Session, typed: &str, return_url: &str) -> reqwest::blocking::Response {
    post_form(
        app,
        "/users/account/TwoFactor",
        Some(browser),
        Some(&browser.csrf),
        &[("code", typed), ("returnUrl", return_url)],
    )
}

#[test]
fn portal_sign_in_asks_for_the_code_then_follows_the_local_return_url() {
    let app = spawn_app();
    let secret = enrolled(&app, "alice").secret;
    let before = sessions(&app);
    let (browser, to) = password_step(&app, "alice", "/account/apikeys");
    assert_eq!(to, "/users/account/TwoFactor?returnUrl=%2Faccount%2Fapikeys");
    let page = get_page(&app, &to, Some(&browser)).text().unwrap();
    assert!(page.contains("Enter the code from your authenticator app"), "{page}");
    let r = code_step(&app, &browser, &code(&secret, 1), "https://evil.example/");
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/", "the returnUrl rule");
    assert!(cookie_of(&r, "galley_session").is_some());
    assert_eq!(sessions(&app), before + 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor_pending"), 0, "the half sign-in is spent");
}

#[test]
fn a_wrong_or_reused_code_is_refused_and_no_session_is_made() {
    let app = spawn_app();
    let Enrolled { secret, used, .. } = enrolled(&app, "alice");
    let before = sessions(&app);
    let (browser, _) = password_step(&app, "alice", "/");
    let r = code_step(&app, &browser, a_wrong_code(&secret), "/");
    assert_eq!(r.status(), 400);
    assert!(cookie_of(&r, "galley_session").is_none());
    assert!(r.text().unwrap().contains(&field_error("code", WRONG_CODE)));
    // The enrolment used the current step's code: it cannot sign in again.
    let r = code_step(&app, &browser, &used, "/");
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains(&field_error("code", ALREADY_USED)));
    assert_eq!(sessions(&app), before);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'signin.2fa-failed'"), 2);
    // The same browser may still finish with a fresh code.
    assert_eq!(code_step(&app, &browser, &code(&secret, 1), "/").status(), 303);
}

#[test]
fn a_recovery_code_signs_in_once() {
    let app = spawn_app();
    let codes = enrolled(&app, "alice").recovery;
    let (browser, _) = password_step(&app, "alice", "/");
    let typed = codes[3].to_uppercase().replace('-', " ");
    assert_eq!(code_step(&app, &browser, &typed, "/").status(), 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor_recovery WHERE used_at IS NULL"), 9);
    let audited =
        "SELECT COUNT(*) FROM audit_log WHERE action = '2fa.recovery-code' AND detail = '9 left' AND ip = '127.0.0.1'";
    assert_eq!(app.count(audited), 1);
    let before = sessions(&app);
    let (browser, _) = password_step(&app, "alice", "/");
    let r = code_step(&app, &browser, &codes[3], "/");
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains(&field_error("code", WRONG_CODE)));
    assert_eq!(sessions(&app), before);
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor_recovery WHERE used_at IS NULL"), 9);
}

#[test]
fn a_session_that_cannot_be_stored_spends_neither_the_code_nor_the_half_sign_in() {
    let app = spawn_app();
    let codes = enrolled(&app, "alice").recovery;
    let (browser, _) = password_step(&app, "alice", "/");
    let before = sessions(&app);
    // A real constraint on the server's database makes the last step (the session) fail.
    app.inject_fault("sessions", "1 = 1");
    assert_eq!(code_step(&app, &browser, &codes[0], "/").status(), 500);
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor_recovery WHERE used_at IS NULL"), 10);
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor_pending"), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = '2fa.recovery-code'"), 0);
    app.heal_fault();
    assert_eq!(code_step(&app, &browser, &codes[0], "/").status(), 303);
    assert_eq!(sessions(&app), before + 1);
}

#[test]
fn an_expired_or_missing_half_sign_in_is_refused() {
    let app = spawn_app();
    let secret = enrolled(&app, "alice").secret;
    let before = sessions(&app);
    let (browser, to) = password_step(&app, "alice", "/");
    app.advance(
        chrono::Duration::minutes(galley::services::two_factor::PENDING_MINUTES) + chrono::Duration::seconds(1),
    );
    let r = code_step(&app, &browser, &code(&secret, 1), "/");
    assert_eq!(r.status(), 400);
    let expired = format!("<p class=\"form-error\" role=\"alert\">{EXPIRED}</p>");
    assert!(r.text().unwrap().contains(&expired));
    assert_eq!(sessions(&app), before);
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor_pending"), 0, "the expired row is removed");
    // A browser that never gave the password.
    let stranger = anon(&app, "/users/account/LogOn");
    let r = code_step(&app, &stranger, &code(&secret, 1), "/");
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains(&expired));
    let r = get_page(&app, &to, Some(&stranger));
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains(&expired));
    assert_eq!(sessions(&app), before);
}

#[test]
fn the_code_form_needs_the_pre_session_csrf_token() {
    let app = spawn_app();
    let secret = enrolled(&app, "alice").secret;
    let (browser, _) = password_step(&app, "alice", "/");
    let r = post_form(&app, "/users/account/TwoFactor", Some(&browser), Some("forged"), &[("code", &code(&secret, 1))]);
    assert_eq!(r.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor_pending"), 1, "still waiting for its code");
}

#[test]
fn code_guesses_count_against_the_sign_in_limit() {
    let app = spawn_app_with(|c| c.accounts.login_max_failures = 2);
    let secret = enrolled(&app, "alice").secret;
    let (browser, _) = password_step(&app, "alice", "/");
    for _ in 0..2 {
        assert_eq!(code_step(&app, &browser, a_wrong_code(&secret), "/").status(), 400);
    }
    let before = sessions(&app);
    // Even the right code is refused now, and a right password does not reset the budget.
    let r = code_step(&app, &browser, &code(&secret, 1), "/");
    assert_eq!(r.status(), 400);
    let body = r.text().unwrap();
    assert!(body.contains("Too many failed sign-in attempts; try again in 15 minutes."), "{body}");
    let r = app.post_json(
        "/api/account/signin",
        None,
        json!({ "username": "alice", "password": "password-1", "code": code(&secret, 1) }),
    );
    assert_eq!(r.status(), 429);
    assert_eq!(sessions(&app), before);
}

#[test]
fn api_sign_in_needs_the_code_in_the_body() {
    let app = spawn_app();
    let Enrolled { secret, recovery: codes, used } = enrolled(&app, "alice");
    let before = sessions(&app);
    let sign_in = |code: Option<&str>| {
        let mut body = json!({ "username": "alice", "password": "password-1" });
        if let Some(c) = code {
            body["code"] = json!(c);
        }
        app.post_json("/api/account/signin", None, body)
    };
    let refusals = [
        (None, "This account uses two-factor authentication: send the current code from the authenticator app (or a recovery code) as \"code\" with the username and password."),
        (Some(a_wrong_code(&secret).to_owned()), WRONG_CODE),
        (Some(used), ALREADY_USED),
    ];
    for (typed, message) in refusals {
        let r = sign_in(typed.as_deref());
        assert!(r.headers().get("set-cookie").is_none());
        assert_eq!(status_text(r), (401, message.to_owned()), "{typed:?}");
    }
    assert_eq!(sessions(&app), before);
    assert_eq!(sign_in(Some(&code(&secret, 1))).status(), 200);
    assert_eq!(sign_in(Some(&codes[0])).status(), 200);
    assert_eq!(status_text(sign_in(Some(&codes[0]))), (401, WRONG_CODE.to_owned()));
    assert_eq!(sessions(&app), before + 2);
}

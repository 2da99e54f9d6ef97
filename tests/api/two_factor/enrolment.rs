//! Enrolment and turning 2FA off from the account settings.
use super::{code, enrol, shown_secret};
use crate::helpers::spawn_app;
use crate::portal::forms::{field_error, get_page, post_as};

#[test]
fn enrolment_shows_the_same_secret_until_confirmed_and_recovery_codes_once() {
    let app = spawn_app();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let secret = shown_secret(&app, &s);
    assert_eq!(secret.len(), 32, "160 bits in base32: {secret}");
    // A reload keeps the secret an app may already have scanned.
    assert_eq!(shown_secret(&app, &s), secret);
    let enrolled = enrol(&app, &s);
    assert_eq!(enrolled.secret, secret);
    let codes = enrolled.recovery;
    assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'), "{codes:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor WHERE enabled_at IS NOT NULL"), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor_recovery WHERE used_at IS NULL"), 10);
    // Only hashes are stored.
    for c in &codes {
        let plain = c.replace('-', "");
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM two_factor_recovery WHERE code_hash = '{plain}'")), 0);
    }
    let body = get_page(&app, "/account/two-factor", Some(&s)).text().unwrap();
    assert!(body.contains("Recovery codes left: 10."), "{body}");
    assert!(!body.contains(&codes[0]), "recovery codes are shown once");
    assert!(!body.contains(&secret), "the secret is not shown once enrolled");
    assert!(get_page(&app, "/account", Some(&s)).text().unwrap().contains("On; manage it"));
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = '2fa.enable' AND actor_name = 'alice'"), 1);
}

#[test]
fn enrolment_confirmed_with_a_wrong_code_leaves_2fa_off() {
    let app = spawn_app();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let secret = shown_secret(&app, &s);
    let near: Vec<String> = (-1..=2).map(|o| code(&secret, o)).collect();
    let wrong = ["000000", "111111", "222222"].into_iter().find(|c| !near.iter().any(|n| n == c)).unwrap();
    for typed in [wrong, "", "not a code"] {
        let r = post_as(&app, "/account/two-factor/confirm", &s, &[("code", typed)]);
        assert_eq!(r.status(), 400, "{typed:?}");
        let body = r.text().unwrap();
        let message = "The code is incorrect; scan the QR code (or type the secret) into your authenticator app and enter the 6-digit code it shows.";
        assert!(body.contains(&field_error("code", message)), "{body}");
        assert!(body.contains(&secret), "the same secret is offered again");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor WHERE enabled_at IS NOT NULL"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor_recovery"), 0);
    // Signing in still needs only the password.
    app.sign_in("alice");
}

#[test]
fn confirming_twice_is_refused_and_changes_nothing() {
    let app = spawn_app();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let secret = enrol(&app, &s).secret;
    let r = post_as(&app, "/account/two-factor/confirm", &s, &[("code", &code(&secret, 1))]);
    assert_eq!(r.status(), 400);
    let message = "Two-factor authentication is already on; turn it off first to enrol another authenticator.";
    assert!(r.text().unwrap().contains(&format!("<p class=\"form-error\" role=\"alert\">{message}</p>")));
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor_recovery WHERE used_at IS NULL"), 10);
}

#[test]
fn turning_2fa_off_needs_the_password() {
    let app = spawn_app();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let enrolled = enrol(&app, &s);
    let r = post_as(&app, "/account/two-factor/disable", &s, &[("current_password", "wrong-password")]);
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains(&field_error("current_password", "The current password is incorrect.")));
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor WHERE enabled_at IS NOT NULL"), 1);
    let r = post_as(&app, "/account/two-factor/disable", &s, &[("current_password", "password-1")]);
    assert_eq!(r.status(), 200);
    let body = r.text().unwrap();
    assert!(body.contains("Two-factor authentication is off."));
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor WHERE enabled_at IS NOT NULL"), 0);
    // The page offers a fresh secret to enrol again; the old one is gone.
    assert!(!body.contains(&enrolled.secret), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor_recovery"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = '2fa.disable'"), 1);
    app.sign_in("alice");
}

#[test]
fn the_settings_forms_need_the_csrf_token() {
    let app = spawn_app();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let secret = shown_secret(&app, &s);
    let r = crate::portal::forms::post_form(
        &app,
        "/account/two-factor/confirm",
        Some(&s),
        None,
        &[("code", &code(&secret, 0))],
    );
    assert_eq!(r.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor WHERE enabled_at IS NOT NULL"), 0);
}

//! Account settings: change password and email address through the forms.
use super::forms::{escaped, get_page, location, post_as, post_form};
use crate::helpers::spawn_app;

#[test]
fn change_password_form() {
    let app = spawn_app();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    assert!(get_page(&app, "/account", Some(&s)).text().unwrap().contains("Change password"));
    let wrong =
        post_as(&app, "/account/password", &s, &[("current_password", "nope"), ("new_password", "brand-new-pass")]);
    assert_eq!(wrong.status(), 400);
    assert!(wrong.text().unwrap().contains("id=\"f-current_password-error\">The current password is incorrect.</p>"));
    let short =
        post_as(&app, "/account/password", &s, &[("current_password", "password-1"), ("new_password", "short")]);
    assert!(short
        .text()
        .unwrap()
        .contains("id=\"f-new_password-error\">The password must be at least 8 characters long.</p>"));
    let forged = post_form(
        &app,
        "/account/password",
        Some(&s),
        Some("forged"),
        &[("current_password", "password-1"), ("new_password", "brand-new-pass")],
    );
    assert_eq!(forged.status(), 403);
    app.sign_in_with("alice", "password-1");
    let ok = post_as(
        &app,
        "/account/password",
        &s,
        &[("current_password", "password-1"), ("new_password", "brand-new-pass")],
    );
    assert_eq!(ok.status(), 200);
    assert!(ok.text().unwrap().contains("Your password was changed"));
    app.sign_in_with("alice", "brand-new-pass");
    assert_eq!(location(&get_page(&app, "/account", None)), "/users/account/LogOn?returnUrl=%2Faccount");
}

#[test]
fn change_email_form_sends_a_confirmation_to_the_new_address() {
    let app = spawn_app();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let bad = post_as(&app, "/account/email", &s, &[("email", "nope"), ("current_password", "password-1")]);
    assert_eq!(bad.status(), 400);
    let body = bad.text().unwrap();
    assert!(
        body.contains(&format!("id=\"f-email-error\">{}</p>", escaped("'nope' is not a valid email address."))),
        "{body}"
    );
    assert!(body.contains("value=\"nope\""), "keeps what was typed");
    let wrong = post_as(&app, "/account/email", &s, &[("email", "new@example.com"), ("current_password", "x")]);
    assert!(wrong.text().unwrap().contains("id=\"f-email-password-error\">The current password is incorrect.</p>"));
    assert!(app.mails_to("new@example.com").is_empty());
    let ok = post_as(&app, "/account/email", &s, &[("email", "new@example.com"), ("current_password", "password-1")]);
    assert_eq!(ok.status(), 200);
    assert!(app.wait_for_mail("new@example.com").contains("/account/confirm-email?token="));
}

//! The pages that emailed links open: confirm email, forgot and reset password.
use super::forms::{anon, field_error, get_page, hidden, post_as, post_form};
use crate::helpers::{link_token, spawn_app};

#[test]
fn confirm_email_page_confirms_with_a_button_press() {
    let app = spawn_app();
    let fields = [("username", "newbie"), ("email", "newbie@example.com"), ("password", "a-good-password")];
    post_as(&app, "/users/account/Register", &anon(&app, "/users/account/Register"), &fields);
    let token = link_token(&app.wait_for_mail("newbie@example.com"), "/account/confirm-email");
    let page = get_page(&app, &format!("/account/confirm-email?token={token}"), None).text().unwrap();
    assert_eq!(hidden(&page, "token"), token);
    assert_eq!(
        app.count("SELECT email_confirmed FROM users WHERE username = 'newbie'"),
        0,
        "opening the link changes nothing"
    );
    let r = post_form(&app, "/account/confirm-email", None, None, &[("token", &token)]);
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("your email address is confirmed"));
    assert_eq!(app.count("SELECT email_confirmed FROM users WHERE username = 'newbie'"), 1);
    let again = post_form(&app, "/account/confirm-email", None, None, &[("token", &token)]);
    assert_eq!(again.status(), 400);
    assert!(again.text().unwrap().contains("class=\"form-error\""));
}

#[test]
fn forgot_and_reset_password_through_the_pages() {
    let app = spawn_app();
    app.create_user("alice", false);
    let r = post_as(
        &app,
        "/users/account/ForgotPassword",
        &anon(&app, "/users/account/ForgotPassword"),
        &[("username", "")],
    );
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains(&field_error("username", "Enter your username or email address.")));
    for name in ["alice", "nobody"] {
        let body = post_as(
            &app,
            "/users/account/ForgotPassword",
            &anon(&app, "/users/account/ForgotPassword"),
            &[("username", name)],
        )
        .text()
        .unwrap();
        assert!(body.contains("If an account matches, a password reset link was sent"), "{name}");
    }
    let email = app.text("SELECT email FROM users WHERE username = 'alice'");
    let token = link_token(&app.wait_for_mail(&email), "/account/reset-password");
    assert!(get_page(&app, &format!("/account/reset-password?token={token}"), None)
        .text()
        .unwrap()
        .contains("new_password"));
    let r = post_form(&app, "/account/reset-password", None, None, &[("token", &token), ("new_password", "short")]);
    assert_eq!(r.status(), 400);
    assert!(r
        .text()
        .unwrap()
        .contains(&field_error("new_password", "The password must be at least 8 characters long.")));
    let r = post_form(
        &app,
        "/account/reset-password",
        None,
        None,
        &[("token", &token), ("new_password", "a-new-password")],
    );
    assert!(r.text().unwrap().contains("Your password was changed"));
    app.sign_in_with("alice", "a-new-password");
}

//! Multi-step writes land whole or not at all. A trigger makes the last step of each fail (a real
//! trigger on the server's own database, SQLite's or PostgreSQL's, no mock): the request answers 500 and none of
//! the earlier steps is left behind, no mail is sent, and the same request succeeds once the
//! fault is gone.
use crate::helpers::{link_token, spawn_app};
use serde_json::json;

#[test]
fn an_owner_invitation_whose_mail_cannot_be_recorded_leaves_no_invitation() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.create_user("bob", false);
    app.push_ok(&key, "Acme.Core", "1.0.0");
    let alice = app.sign_in("alice");
    app.inject_fault("mail_log", "NEW.kind = 'owner-invitation'");
    let r = app.post_json("/api/packages/Acme.Core/owners", Some(&alice), json!({ "username": "bob" }));
    assert_eq!(r.status(), 500);
    assert_eq!(app.count("SELECT COUNT(*) FROM owner_invitations"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'owner.invite'"), 0);
    assert!(app.mails_to("bob@example.com").is_empty());
    app.heal_fault();
    let r = app.post_json("/api/packages/Acme.Core/owners", Some(&alice), json!({ "username": "bob" }));
    assert_eq!(r.status(), 201);
    assert_eq!(app.count("SELECT COUNT(*) FROM owner_invitations"), 1);
    app.wait_for_mail("bob@example.com");
}

#[test]
fn a_support_invitation_whose_audit_row_fails_leaves_no_invitation_and_sends_no_mail() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("gone");
    app.push_ok(&key, "Acme.Core", "1.0.0");
    app.create_user("bob", false);
    app.create_user("root", true);
    let form = [
        ("type", "ownership recovery"),
        ("package_id", "Acme.Core"),
        ("message", "I maintain it now."),
        ("email", "bob@example.com"),
        ("username", "bob"),
    ];
    let r = app.client.post(app.url("/contact")).form(&form).send().unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().unwrap()["id"].clone();
    let root = app.sign_in("root");
    app.inject_fault("audit_log", "NEW.action = 'support.invite'");
    let r = app.post_json(&format!("/api/admin/support/{id}/invite"), Some(&root), json!({}));
    assert_eq!(r.status(), 500);
    assert_eq!(app.count("SELECT COUNT(*) FROM owner_invitations"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM mail_log WHERE kind = 'owner-invitation'"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'owner.invite'"), 0);
    assert!(app.mails_to("bob@example.com").is_empty());
    app.heal_fault();
    let r = app.post_json(&format!("/api/admin/support/{id}/invite"), Some(&root), json!({}));
    assert_eq!(r.status(), 201);
    app.wait_for_mail("bob@example.com");
}

#[test]
fn a_confirmation_whose_audit_row_fails_leaves_the_link_unused_and_the_address_unconfirmed() {
    let app = spawn_app();
    let body = json!({ "username": "carol", "email": "carol@example.com", "password": "correct horse" });
    assert_eq!(app.post_json("/api/account/register", None, body).status(), 201);
    let token = link_token(&app.wait_for_mail("carol@example.com"), "/account/confirm-email");
    app.inject_fault("audit_log", "NEW.action = 'account.email.confirm'");
    let r = app.post_json("/api/account/confirm-email", None, json!({ "token": token }));
    assert_eq!(r.status(), 500);
    assert_eq!(app.count("SELECT COUNT(*) FROM email_tokens WHERE used_at IS NOT NULL"), 0);
    assert_eq!(app.count("SELECT email_confirmed FROM users WHERE username = 'carol'"), 0);
    app.heal_fault();
    let r = app.post_json("/api/account/confirm-email", None, json!({ "token": token }));
    assert_eq!(r.status(), 200);
    assert_eq!(app.count("SELECT email_confirmed FROM users WHERE username = 'carol'"), 1);
}

#[test]
fn a_password_reset_whose_audit_row_fails_keeps_the_password_the_sessions_and_the_link() {
    let app = spawn_app();
    app.create_user("alice", false);
    let session = app.sign_in("alice");
    assert_eq!(app.post_json("/api/account/password-reset", None, json!({ "username": "alice" })).status(), 202);
    let token = link_token(&app.wait_for_mail("alice@example.com"), "/account/reset-password");
    app.inject_fault("audit_log", "NEW.action = 'account.reset'");
    let body = json!({ "token": token, "new_password": "brand new secret" });
    let r = app.post_json("/api/account/password-reset/complete", None, body.clone());
    assert_eq!(r.status(), 500);
    assert_eq!(app.get_as("/api/account", &session).status(), 200, "the session was not ended");
    assert_eq!(app.count("SELECT COUNT(*) FROM email_tokens WHERE used_at IS NOT NULL"), 0);
    app.sign_in_with("alice", "password-1");
    app.heal_fault();
    assert_eq!(app.post_json("/api/account/password-reset/complete", None, body).status(), 204);
    assert_eq!(app.get_as("/api/account", &session).status(), 401);
    app.sign_in_with("alice", "brand new secret");
}

#[test]
fn a_registration_whose_confirmation_mail_cannot_be_recorded_leaves_no_account_and_one_mail_once_healed() {
    let app = spawn_app();
    let body = json!({ "username": "dave", "email": "dave@example.com", "password": "correct horse" });
    let accounts = "SELECT COUNT(*) FROM users WHERE username = 'dave'";
    // The mail's record is the last step: the account, its audit row and its token roll back.
    app.inject_fault("mail_log", "NEW.kind = 'confirm-email'");
    assert_eq!(app.post_json("/api/account/register", None, body.clone()).status(), 500);
    assert_eq!(app.count(accounts), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'account.register'"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM email_tokens"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM mail_log"), 0);
    app.heal_fault();
    // A failure before the mail (the audit row) records no mail either.
    app.inject_fault("audit_log", "NEW.action = 'account.register'");
    assert_eq!(app.post_json("/api/account/register", None, body.clone()).status(), 500);
    assert_eq!(app.count(accounts), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM mail_log"), 0);
    assert!(app.mails_to("dave@example.com").is_empty());
    app.heal_fault();
    assert_eq!(app.post_json("/api/account/register", None, body).status(), 201);
    assert_eq!(app.count(accounts), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM mail_log WHERE kind = 'confirm-email'"), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM mail_log"), 1);
    app.wait_for_mail("dave@example.com");
}

#[test]
fn a_registration_with_an_address_in_use_whose_audit_row_fails_records_and_sends_no_mail() {
    let app = spawn_app();
    app.create_user("carol", false);
    let body = json!({ "username": "mallory", "email": "carol@example.com", "password": "correct horse" });
    let notices = "SELECT COUNT(*) FROM mail_log WHERE kind = 'address-in-use'";
    let audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'account.register.address_in_use'";
    // The audit row is the last step: the owner's mail record rolls back with it and is not sent.
    app.inject_fault("audit_log", "NEW.action = 'account.register.address_in_use'");
    assert_eq!(app.post_json("/api/account/register", None, body.clone()).status(), 500);
    assert_eq!(app.count(notices), 0);
    assert_eq!(app.count(audited), 0);
    app.heal_fault();
    // A failure of the mail's record leaves no audit row either.
    app.inject_fault("mail_log", "NEW.kind = 'address-in-use'");
    assert_eq!(app.post_json("/api/account/register", None, body.clone()).status(), 500);
    assert_eq!(app.count(audited), 0);
    assert!(app.mails_to("carol@example.com").is_empty());
    app.heal_fault();
    assert_eq!(app.post_json("/api/account/register", None, body).status(), 201);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE username = 'mallory'"), 0);
    assert_eq!(app.count(notices), 1);
    assert_eq!(app.count(audited), 1);
    app.wait_for_mail("carol@example.com");
    assert_eq!(app.mails_to("carol@example.com").len(), 1);
}

//! The SMTP transport against a real SMTP conversation on loopback, and what a failed send leaves.
use crate::helpers::{link_token, spawn_app_with};
use crate::smtp_sink::SmtpSink;
use serde_json::{json, Value};

#[test]
fn mail_goes_out_over_smtp_with_its_link() {
    let sink = SmtpSink::start();
    let app = spawn_app_with(|c| {
        c.mail.smtp_url = format!("smtp://127.0.0.1:{}", sink.port);
        c.mail.from = "Galley <galley@example.org>".into();
    });
    let r = app.post_json(
        "/api/account/register",
        None,
        json!({ "username": "alice", "email": "alice@example.com", "password": "correct horse" }),
    );
    assert_eq!(r.status(), 201);
    let got = sink.wait_for(1);
    assert_eq!(got[0].from, "<galley@example.org>");
    assert_eq!(got[0].to, ["<alice@example.com>"]);
    assert!(got[0].data.contains("Subject: Confirm your email address"), "{}", got[0].data);
    let token = link_token(&got[0].data, "/account/confirm-email");
    assert_eq!(app.post_json("/api/account/confirm-email", None, json!({ "token": token })).status(), 200);
    // Nothing went to the outbox folder, and the log says it was sent.
    assert_eq!(app.mails_to("alice@example.com").len(), 0);
    wait_until(|| app.count("SELECT count(*) FROM mail_log WHERE status = 'sent' AND kind = 'confirm-email'") == 1);
}

#[test]
fn a_failed_send_does_not_fail_the_action_and_is_recorded() {
    // A port nothing listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = spawn_app_with(|c| c.mail.smtp_url = format!("smtp://127.0.0.1:{port}"));
    app.create_user("root", true);
    let r = app.post_json(
        "/api/account/register",
        None,
        json!({ "username": "alice", "email": "alice@example.com", "password": "correct horse" }),
    );
    assert_eq!(r.status(), 201);
    wait_until(|| app.count("SELECT count(*) FROM mail_log WHERE status = 'failed'") == 1);
    let root = app.sign_in("root");
    let failed: Value = app.get_as("/api/admin/mail?status=failed", &root).json().unwrap();
    assert_eq!(failed[0]["recipient"], "alice@example.com");
    assert_eq!(failed[0]["kind"], "confirm-email");
    assert!(failed[0]["error"].as_str().unwrap().starts_with("SMTP: "), "{failed}");
}

fn wait_until(done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "condition not reached");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

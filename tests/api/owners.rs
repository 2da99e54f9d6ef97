//! Package owners: invitations by email, answering them, cancelling, removing, the last owner,
//! administrators, the package audit log and `galley owner`.
use crate::helpers::{link_token, nupkg, spawn_app, status_text, TestApp};
use serde_json::{json, Value};

/// alice owns Acme.Core; bob and carol exist. Returns alice's session.
fn setup(app: &TestApp) -> crate::helpers::Session {
    let (_, alice) = app.user_with_key("alice");
    app.create_user("bob", false);
    app.create_user("carol", false);
    app.push_ok(&alice, "Acme.Core", "1.0.0");
    app.sign_in("alice")
}

fn invite(app: &TestApp, session: &crate::helpers::Session, who: &str) -> String {
    let count = app.mails_to(&format!("{who}@example.com")).len() + 1;
    let r = app.post_json("/api/packages/Acme.Core/owners", Some(session), json!({ "username": who }));
    assert_eq!(r.status(), 201);
    let mail = app.wait_for_mail_count(&format!("{who}@example.com"), count);
    assert!(mail.contains("Subject: Invitation to become an owner of Acme.Core"), "{mail}");
    link_token(&mail, "/packages/Acme.Core/owners/confirm")
}

fn owner_names(view: &Value) -> Vec<String> {
    view["owners"].as_array().unwrap().iter().map(|o| o["username"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn an_invitation_works_once_and_only_for_the_invitee() {
    let app = spawn_app();
    let alice = setup(&app);
    let token = invite(&app, &alice, "bob");
    let mail = app.wait_for_mail("bob@example.com");
    assert!(mail.contains(&format!("{}/packages/Acme.Core/owners/confirm?token={token}", app.base)), "{mail}");

    let view: Value = app.get_as("/api/packages/Acme.Core/owners", &alice).json().unwrap();
    assert_eq!(owner_names(&view), ["alice"]);
    assert_eq!(view["pending"][0]["username"], "bob");
    assert_eq!(view["pending"][0]["invited_by"], "alice");
    // Signed out, only the owners show.
    let public: Value = app.get_json("/api/packages/Acme.Core/owners");
    assert_eq!(public, json!({ "package_id": "Acme.Core", "owners": view["owners"] }));

    let carol = app.sign_in("carol");
    let (s, text) =
        status_text(app.post_json("/api/packages/Acme.Core/owners/confirm", Some(&carol), json!({ "token": token })));
    assert_eq!(
        (s, text.as_str()),
        (403, "This invitation was sent to another account; sign in as that account to answer it.")
    );
    assert_eq!(app.post_json("/api/packages/Acme.Core/owners/confirm", None, json!({ "token": token })).status(), 401);

    let bob = app.sign_in("bob");
    let r = app.post_json("/api/packages/Acme.Core/owners/confirm", Some(&bob), json!({ "token": token }));
    assert_eq!(r.status(), 200);
    assert_eq!(owner_names(&r.json().unwrap()), ["alice", "bob"]);
    let (s, text) =
        status_text(app.post_json("/api/packages/Acme.Core/owners/confirm", Some(&bob), json!({ "token": token })));
    assert_eq!((s, text.as_str()), (404, "This invitation is not valid: it was already used, declined or cancelled."));

    let bob_key = app.create_key(app.count("SELECT id FROM users WHERE username = 'bob'"), "push", &[]);
    app.push_ok(&bob_key, "Acme.Core", "2.0.0");
}

#[test]
fn an_invitation_expires() {
    let app = spawn_app();
    let alice = setup(&app);
    let token = invite(&app, &alice, "bob");
    let days = i64::from(app.state.config.accounts.owner_invitation_days);
    app.advance(chrono::Duration::days(days) + chrono::Duration::seconds(1));
    let expired_on = app.text("SELECT substr(expires_at, 1, 10) FROM owner_invitations");
    let bob = app.sign_in("bob");
    let (s, text) =
        status_text(app.post_json("/api/packages/Acme.Core/owners/confirm", Some(&bob), json!({ "token": token })));
    assert_eq!(
        (s, text.as_str()),
        (
            410,
            format!("This invitation expired on {expired_on}; ask an owner of 'Acme.Core' to invite you again.")
                .as_str()
        )
    );
    // A new invitation replaces it.
    let token = invite(&app, &alice, "bob");
    assert_eq!(
        app.post_json("/api/packages/Acme.Core/owners/confirm", Some(&bob), json!({ "token": token })).status(),
        200
    );
}

#[test]
fn an_invitation_can_be_declined_or_cancelled() {
    let app = spawn_app();
    let alice = setup(&app);
    let bob = app.sign_in("bob");
    let token = invite(&app, &alice, "bob");
    assert_eq!(
        app.post_json("/api/packages/Acme.Core/owners/decline", Some(&bob), json!({ "token": token })).status(),
        200
    );
    assert_eq!(
        app.post_json("/api/packages/Acme.Core/owners/confirm", Some(&bob), json!({ "token": token })).status(),
        404
    );

    let token = invite(&app, &alice, "bob");
    assert_eq!(app.delete_as("/api/packages/Acme.Core/owners/invitations/bob", &alice).status(), 204);
    assert_eq!(
        app.post_json("/api/packages/Acme.Core/owners/confirm", Some(&bob), json!({ "token": token })).status(),
        404
    );
    let (s, text) = status_text(app.delete_as("/api/packages/Acme.Core/owners/invitations/bob", &alice));
    assert_eq!((s, text.as_str()), (404, "There is no pending invitation for 'bob' to own 'Acme.Core'."));
    let view: Value = app.get_as("/api/packages/Acme.Core/owners", &alice).json().unwrap();
    assert_eq!(owner_names(&view), ["alice"]);
    assert_eq!(view["pending"], json!([]));
}

#[test]
fn only_owners_manage_owners_and_bad_requests_say_why() {
    let app = spawn_app();
    let alice = setup(&app);
    let bob = app.sign_in("bob");
    let (s, text) =
        status_text(app.post_json("/api/packages/Acme.Core/owners", Some(&bob), json!({ "username": "carol" })));
    assert_eq!(
        (s, text.as_str()),
        (403, "The package 'Acme.Core' is owned by another account; only its owners may manage its owners.")
    );
    let (s, text) =
        status_text(app.post_json("/api/packages/Acme.Core/owners", Some(&alice), json!({ "username": "nobody" })));
    assert_eq!((s, text.as_str()), (404, "There is no account named 'nobody'."));
    let (s, text) =
        status_text(app.post_json("/api/packages/Acme.Core/owners", Some(&alice), json!({ "username": "alice" })));
    assert_eq!((s, text.as_str()), (409, "'alice' already owns 'Acme.Core'."));
    let (s, text) =
        status_text(app.post_json("/api/packages/No.Such/owners", Some(&alice), json!({ "username": "bob" })));
    assert_eq!((s, text.as_str()), (404, "The package 'No.Such' does not exist."));
    assert_eq!(app.delete_as("/api/packages/Acme.Core/owners/alice", &bob).status(), 403);
    assert_eq!(app.count("SELECT count(*) FROM owner_invitations"), 0);
}

#[test]
fn the_last_owner_cannot_be_removed() {
    let app = spawn_app();
    let alice = setup(&app);
    let (s, text) = status_text(app.delete_as("/api/packages/Acme.Core/owners/alice", &alice));
    assert_eq!(
        (s, text.as_str()),
        (409, "'alice' is the last owner of 'Acme.Core'; add another owner before removing it.")
    );
    // Transfer: add bob, who then removes alice.
    let token = invite(&app, &alice, "bob");
    let bob = app.sign_in("bob");
    assert_eq!(
        app.post_json("/api/packages/Acme.Core/owners/confirm", Some(&bob), json!({ "token": token })).status(),
        200
    );
    assert_eq!(app.delete_as("/api/packages/Acme.Core/owners/alice", &bob).status(), 204);
    let view: Value = app.get_json("/api/packages/Acme.Core/owners");
    assert_eq!(owner_names(&view), ["bob"]);
    let (s, text) = status_text(app.delete_as("/api/packages/Acme.Core/owners/bob", &bob));
    assert_eq!(
        (s, text.as_str()),
        (409, "'bob' is the last owner of 'Acme.Core'; add another owner before removing it.")
    );
    let (s, _) = status_text(app.push(
        Some(&app.create_key(app.count("SELECT id FROM users WHERE username = 'alice'"), "push", &[])),
        &nupkg("Acme.Core", "3.0.0"),
    ));
    assert_eq!(s, 403);
}

#[test]
fn administrators_act_on_any_package() {
    let app = spawn_app();
    setup(&app);
    app.create_user("root", true);
    let root = app.sign_in("root");
    let token = invite(&app, &root, "bob");
    let bob = app.sign_in("bob");
    assert_eq!(
        app.post_json("/api/packages/Acme.Core/owners/confirm", Some(&bob), json!({ "token": token })).status(),
        200
    );
    assert_eq!(app.delete_as("/api/packages/Acme.Core/owners/alice", &root).status(), 204);
    let r = app.post_json("/api/admin/packages/Acme.Core/owners", Some(&root), json!({ "username": "carol" }));
    assert_eq!(r.status(), 201);
    assert_eq!(owner_names(&r.json().unwrap()), ["bob", "carol"]);
    let (s, text) =
        status_text(app.post_json("/api/admin/packages/Acme.Core/owners", Some(&bob), json!({ "username": "alice" })));
    assert_eq!((s, text.as_str()), (403, "Only administrators may do this."));
}

#[test]
fn owners_read_their_packages_audit_log_and_admins_read_all() {
    let app = spawn_app();
    let alice = setup(&app);
    let token = invite(&app, &alice, "bob");
    let bob = app.sign_in("bob");
    app.post_json("/api/packages/Acme.Core/owners/confirm", Some(&bob), json!({ "token": token }));
    let log: Value = app.get_as("/api/packages/Acme.Core/audit", &alice).json().unwrap();
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["owner.accept", "owner.invite", "package.push"]);
    assert_eq!(log[1]["actor"], "alice");
    assert_eq!(log[1]["detail"], "bob");
    assert_eq!(log[1]["ip"], "127.0.0.1");

    let carol = app.sign_in("carol");
    let (s, text) = status_text(app.get_as("/api/packages/Acme.Core/audit", &carol));
    assert_eq!(
        (s, text.as_str()),
        (403, "The package 'Acme.Core' is owned by another account; only its owners may read its audit log.")
    );
    assert_eq!(app.get_as("/api/admin/audit", &alice).status(), 403);
    app.create_user("root", true);
    let root = app.sign_in("root");
    let all: Value = app.get_as("/api/admin/audit?action=signin&limit=2", &root).json().unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert!(all.as_array().unwrap().iter().all(|e| e["action"].as_str().unwrap().starts_with("signin")));
    let for_package: Value = app.get_as("/api/admin/audit?package=acme.core", &root).json().unwrap();
    assert_eq!(for_package.as_array().unwrap().len(), 3);
}

#[test]
fn the_cli_adds_and_removes_owners_directly() {
    let app = spawn_app();
    setup(&app);
    let galley = |args: &[&str]| {
        app.command()
            .args(args)
            .arg("--data-dir")
            .arg(&app.state.config.data_dir)
            .env("GALLEY_LOG", "error")
            .output()
            .unwrap()
    };
    let out = galley(&["owner", "add", "Acme.Core", "bob"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "bob now owns Acme.Core.\n");
    let out = galley(&["owner", "remove", "Acme.Core", "alice"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = galley(&["owner", "remove", "Acme.Core", "bob"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: 'bob' is the last owner of 'Acme.Core'; add another owner before removing it.\n"
    );
    assert_eq!(owner_names(&app.get_json("/api/packages/Acme.Core/owners")), ["bob"]);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_log WHERE actor_name = 'cli' AND action IN ('owner.add', 'owner.remove')"
        ),
        2
    );
}

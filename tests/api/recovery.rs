//! Ownership recovery: the contact form, the admins' queue, and the requester ending up owner.
use crate::helpers::{link_token, spawn_app, status_text, TestApp};
use serde_json::{json, Value};

/// Acme.Core is owned by "gone", whose owner left; bob wants it; root is the administrator.
fn setup(app: &TestApp) {
    let (_, key) = app.user_with_key("gone");
    app.push_ok(&key, "Acme.Core", "1.0.0");
    app.create_user("bob", false);
    app.create_user("root", true);
}

#[test]
fn a_signed_out_request_ends_with_the_requester_owning_the_package() {
    let app = spawn_app();
    setup(&app);
    // An HTML form post from a signed-out visitor.
    let form = [
        ("type", "ownership recovery"),
        ("package_id", "acme.core"),
        ("message", "I maintain it now."),
        ("email", "bob@example.com"),
        ("username", "bob"),
    ];
    let r = app.client.post(app.url("/contact")).form(&form).send().unwrap();
    assert_eq!(r.status(), 201);
    let filed: Value = r.json().unwrap();
    let admin_mail = app.wait_for_mail("root@example.com");
    assert!(
        admin_mail.contains(&format!("Subject: Support request #{}: ownership-recovery for Acme.Core", filed["id"])),
        "{admin_mail}"
    );
    assert!(admin_mail.contains("I maintain it now."), "{admin_mail}");

    let root = app.sign_in("root");
    let open: Value = app.get_as("/api/admin/support", &root).json().unwrap();
    assert_eq!(open[0]["package_id"], "Acme.Core");
    assert_eq!(open[0]["username"], "bob");
    assert_eq!(open[0]["status"], "open");

    let r = app.post_json(&format!("/api/admin/support/{}/invite", filed["id"]), Some(&root), json!({}));
    assert_eq!(r.status(), 201);
    let token = link_token(&app.wait_for_mail("bob@example.com"), "/packages/Acme.Core/owners/confirm");
    let bob = app.sign_in("bob");
    assert_eq!(
        app.post_json("/api/packages/Acme.Core/owners/confirm", Some(&bob), json!({ "token": token })).status(),
        200
    );
    let r = app.post_json(
        &format!("/api/admin/support/{}/close", filed["id"]),
        Some(&root),
        json!({ "resolution": "bob invited and accepted" }),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap()["status"], "closed");

    let owners: Value = app.get_json("/api/packages/Acme.Core/owners");
    let names: Vec<&str> =
        owners["owners"].as_array().unwrap().iter().map(|o| o["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["bob", "gone"]);
    assert_eq!(app.get_as("/api/admin/support", &root).json::<Value>().unwrap(), json!([]));
    let log: Value = app.get_as("/api/admin/audit?package=Acme.Core", &root).json().unwrap();
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["support.close", "owner.accept", "support.invite", "owner.invite", "support.create", "package.push"]
    );
}

#[test]
fn an_admin_can_add_a_signed_in_requester_directly() {
    let app = spawn_app();
    setup(&app);
    let bob = app.sign_in("bob");
    // A signed-in request (JSON with the CSRF header) takes the account and address from the session.
    let r = app.post_json(
        "/contact",
        Some(&bob),
        json!({ "kind": "ownership-recovery", "package_id": "Acme.Core", "message": "Please." }),
    );
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().unwrap()["id"].clone();
    let root = app.sign_in("root");
    let r = app.post_json(&format!("/api/admin/support/{id}/add-owner"), Some(&root), json!({}));
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap(), json!({ "request": id, "owner": "bob" }));
    let (s, text) = status_text(app.post_json(&format!("/api/admin/support/{id}/add-owner"), Some(&root), json!({})));
    assert_eq!((s, text.as_str()), (409, "'bob' already owns 'Acme.Core'."));
    assert_eq!(app.post_json(&format!("/api/admin/support/{id}/close"), Some(&root), json!({})).status(), 200);
    let (s, text) = status_text(app.post_json(&format!("/api/admin/support/{id}/close"), Some(&root), json!({})));
    assert_eq!((s, text), (409, format!("Support request {id} is already closed.")));
    assert_eq!(
        app.count("SELECT count(*) FROM package_owners o JOIN users u ON u.id = o.user_id WHERE u.username = 'bob'"),
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'owner.add' AND detail LIKE 'bob (support request %'"),
        1
    );
}

#[test]
fn bad_requests_are_refused_and_only_admins_see_the_queue() {
    let app = spawn_app();
    setup(&app);
    let cases = [
        (
            json!({ "kind": "complaint", "message": "x", "email": "a@example.com" }),
            400,
            "'complaint' is not a kind of request; use ownership-recovery or other.",
        ),
        (json!({ "message": "x", "email": "a@example.com" }), 400, "Name the package whose ownership you ask for."),
        (
            json!({ "package_id": "Acme.Core", "message": "", "email": "a@example.com" }),
            400,
            "Describe the request in 1 to 5000 characters.",
        ),
        (
            json!({ "package_id": "Acme.Core", "message": "x" }),
            400,
            "Give an email address where the administrators can answer you.",
        ),
        (
            json!({ "package_id": "Acme.Core", "message": "x", "email": "nope" }),
            400,
            "'nope' is not a valid email address.",
        ),
        (
            json!({ "package_id": "No.Such", "message": "x", "email": "a@example.com" }),
            404,
            "There is no package 'No.Such' on this server.",
        ),
    ];
    for (body, status, message) in cases {
        let (s, text) = status_text(app.post_json("/contact", None, body.clone()));
        assert_eq!((s, text.as_str()), (status, message), "{body}");
    }
    assert_eq!(app.count("SELECT count(*) FROM support_requests"), 0);
    let bob = app.sign_in("bob");
    assert_eq!(app.get_as("/api/admin/support", &bob).status(), 403);
    assert_eq!(app.get("/api/admin/support").status(), 401);
}

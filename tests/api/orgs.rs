//! Organizations: members act for them by role; they own packages and have their own keys.
use crate::helpers::{link_token, nupkg, spawn_app, status_text, Session, TestApp};
use serde_json::{json, Value};

/// Organization "acme" with admin alice and collaborator carol; an org key pushed Acme.Lib.
fn setup(app: &TestApp) -> (Session, Session) {
    app.create_user("alice", false);
    app.create_user("carol", false);
    app.create_user("dave", false);
    let alice = app.sign_in("alice");
    let r = app.post_json("/api/orgs", Some(&alice), json!({ "name": "acme", "email": "team@acme.example" }));
    assert_eq!(r.status(), 201);
    let r = app.api(
        reqwest::Method::PUT,
        "/api/orgs/acme/members/carol",
        Some(&alice),
        Some(json!({ "role": "collaborator" })),
    );
    assert_eq!(r.status(), 200);
    let org_key = app.post_json("/api/keys", Some(&alice), json!({ "scopes": ["push"], "owner": "acme" }));
    assert_eq!(org_key.status(), 201);
    let org_key: Value = org_key.json().unwrap();
    app.push_ok(org_key["key"].as_str().unwrap(), "Acme.Lib", "1.0.0");
    (alice, app.sign_in("carol"))
}

fn personal_key(app: &TestApp, name: &str) -> String {
    app.create_key(app.count(&format!("SELECT id FROM users WHERE username = '{name}'")), "push,unlist", &[])
}

#[test]
fn an_organization_owns_what_its_key_pushes() {
    let app = spawn_app();
    let (alice, _) = setup(&app);
    let owners: Value = app.get_json("/api/packages/Acme.Lib/owners");
    assert_eq!(
        owners["owners"],
        json!([{ "username": "acme", "is_organization": true, "added_at": owners["owners"][0]["added_at"] }])
    );
    let org: Value = app.get_as("/api/orgs/acme", &alice).json().unwrap();
    assert_eq!(
        org["members"],
        json!([{ "username": "alice", "role": "admin" }, { "username": "carol", "role": "collaborator" }])
    );
    let keys: Value = app.get_as("/api/keys", &alice).json().unwrap();
    assert_eq!(keys[0]["owner"], "acme");
    assert_eq!(keys[0]["created_by"], "alice");
    // An organization cannot sign in.
    let r = app.post_json("/api/account/signin", None, json!({ "username": "acme", "password": "" }));
    assert_eq!(r.status(), 401);
}

#[test]
fn a_collaborator_can_push_but_cannot_manage_owners() {
    let app = spawn_app();
    let (_, carol) = setup(&app);
    let key = personal_key(&app, "carol");
    app.push_ok(&key, "Acme.Lib", "1.1.0");
    assert_eq!(app.delete(&key, "Acme.Lib", "1.0.0").status(), 204);

    let (s, text) =
        status_text(app.post_json("/api/packages/Acme.Lib/owners", Some(&carol), json!({ "username": "dave" })));
    assert_eq!((s, text.as_str()), (403, "'Acme.Lib' is owned by an organization in which you are a collaborator; only its admins may manage the owners."));
    let (s, text) = status_text(app.delete_as("/api/packages/Acme.Lib/owners/acme", &carol));
    assert_eq!(s, 403, "{text}");
    let (s, text) =
        status_text(app.post_json("/api/keys", Some(&carol), json!({ "scopes": ["push"], "owner": "acme" })));
    assert_eq!(
        (s, text.as_str()),
        (403, "Only admins of the organization 'acme' may manage its members and API keys.")
    );
    let (s, _) = status_text(app.api(
        reqwest::Method::PUT,
        "/api/orgs/acme/members/dave",
        Some(&carol),
        Some(json!({ "role": "admin" })),
    ));
    assert_eq!(s, 403);
    // Members may read the package's audit log.
    assert_eq!(app.get_as("/api/packages/Acme.Lib/audit", &carol).status(), 200);

    let outsider = personal_key(&app, "dave");
    assert_eq!(app.push(Some(&outsider), &nupkg("Acme.Lib", "1.2.0")).status(), 403);
}

#[test]
fn an_org_admin_manages_owners_and_members() {
    let app = spawn_app();
    let (alice, carol) = setup(&app);
    let r = app.post_json("/api/packages/Acme.Lib/owners", Some(&alice), json!({ "username": "dave" }));
    assert_eq!(r.status(), 201);
    // Removing a member ends its rights at once.
    assert_eq!(app.delete_as("/api/orgs/acme/members/carol", &alice).status(), 204);
    let key = personal_key(&app, "carol");
    assert_eq!(app.push(Some(&key), &nupkg("Acme.Lib", "1.3.0")).status(), 403);
    assert_eq!(app.get_as("/api/orgs/acme", &carol).status(), 403);
    let (s, text) = status_text(app.delete_as("/api/orgs/acme/members/alice", &alice));
    assert_eq!((s, text.as_str()), (409, "'alice' is the last admin of 'acme'; make another member an admin first."));
    let (s, text) = status_text(app.api(
        reqwest::Method::PUT,
        "/api/orgs/acme/members/alice",
        Some(&alice),
        Some(json!({ "role": "collaborator" })),
    ));
    assert_eq!(s, 409, "{text}");
    let (s, text) = status_text(app.api(
        reqwest::Method::PUT,
        "/api/orgs/acme/members/dave",
        Some(&alice),
        Some(json!({ "role": "owner" })),
    ));
    assert_eq!((s, text.as_str()), (400, "'owner' is not an organization role; use admin or collaborator."));
}

#[test]
fn an_org_key_stops_when_its_creator_leaves() {
    let app = spawn_app();
    let (alice, _) = setup(&app);
    app.api(reqwest::Method::PUT, "/api/orgs/acme/members/dave", Some(&alice), Some(json!({ "role": "admin" })));
    let key: Value =
        app.post_json("/api/keys", Some(&alice), json!({ "scopes": ["push"], "owner": "acme" })).json().unwrap();
    assert_eq!(app.delete_as("/api/orgs/acme/members/alice", &alice).status(), 204);
    let (s, text) = status_text(app.push(key["key"].as_str(), &nupkg("Acme.Lib", "2.0.0")));
    assert_eq!(
        (s, text.as_str()),
        (403, "The API key's creator 'alice' is no longer a member of the organization 'acme'; create a new key.")
    );
}

#[test]
fn an_organization_accepts_an_ownership_invitation_through_an_admin() {
    let app = spawn_app();
    let (alice, carol) = setup(&app);
    let dave_key = personal_key(&app, "dave");
    app.push_ok(&dave_key, "Dave.Tool", "1.0.0");
    let dave = app.sign_in("dave");
    assert_eq!(
        app.post_json("/api/packages/Dave.Tool/owners", Some(&dave), json!({ "username": "acme" })).status(),
        201
    );
    let token = link_token(&app.wait_for_mail("team@acme.example"), "/packages/Dave.Tool/owners/confirm");
    assert_eq!(
        app.post_json("/api/packages/Dave.Tool/owners/confirm", Some(&carol), json!({ "token": token })).status(),
        403
    );
    assert_eq!(
        app.post_json("/api/packages/Dave.Tool/owners/confirm", Some(&alice), json!({ "token": token })).status(),
        200
    );
    app.push_ok(&personal_key(&app, "carol"), "Dave.Tool", "1.1.0");
}

#[test]
fn bad_organizations_are_refused() {
    let app = spawn_app();
    app.create_user("alice", false);
    let alice = app.sign_in("alice");
    let (s, text) =
        status_text(app.post_json("/api/orgs", Some(&alice), json!({ "name": "alice", "email": "x@example.com" })));
    assert_eq!((s, text.as_str()), (409, "That name or email address is already registered."));
    let (s, text) =
        status_text(app.post_json("/api/orgs", Some(&alice), json!({ "name": "-acme", "email": "x@example.com" })));
    assert_eq!((s, text.as_str()), (400, "'-acme' is not a valid organization name: use 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit."));
    assert_eq!(app.count("SELECT count(*) FROM users"), 1);
}

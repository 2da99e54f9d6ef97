//! API keys through the JSON API, and how pushes with them are decided.
use crate::helpers::{nupkg, spawn_app, status_text, TestApp};
use chrono::Duration;
use serde_json::{json, Value};

fn create(app: &TestApp, session: &crate::helpers::Session, body: Value) -> Value {
    let r = app.post_json("/api/keys", Some(session), body);
    assert_eq!(r.status(), 201);
    r.json().unwrap()
}

#[test]
fn a_key_is_shown_once_and_listed_without_its_secret() {
    let app = spawn_app();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let created = create(
        &app,
        &s,
        json!({ "description": "ci", "scopes": ["push", "unlist"], "globs": ["Acme.*"], "packages": ["Tools.Cli"], "expires_in_days": 30 }),
    );
    let key = created["key"].as_str().unwrap();
    assert!(key.starts_with("gly_") && key.starts_with(created["prefix"].as_str().unwrap()));

    let list: Value = app.get_as("/api/keys", &s).json().unwrap();
    let listed = &list[0];
    assert_eq!(listed["description"], "ci");
    assert_eq!(listed["owner"], "alice");
    assert_eq!(listed["scopes"], json!(["push", "unlist"]));
    assert_eq!(listed["globs"], json!(["Acme.*"]));
    assert_eq!(listed["package_ids"], json!(["Tools.Cli"]));
    assert_eq!(listed["last_used_at"], Value::Null);
    assert_eq!(listed["expired"], false);
    assert!(!list.to_string().contains(key));
    let in_29_days = galley::domain::clock::text(app.state.clock.now() + chrono::Duration::days(29));
    assert!(app.count(&format!("SELECT count(*) FROM api_keys WHERE expires_at > '{in_29_days}'")) == 1);

    app.push_ok(key, "Acme.Core", "1.0.0");
    app.push_ok(key, "Tools.Cli", "1.0.0");
    let list: Value = app.get_as("/api/keys", &s).json().unwrap();
    assert!(list[0]["last_used_at"].is_string());
}

#[test]
fn bad_key_requests_are_refused() {
    let app = spawn_app();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let cases = [
        (json!({ "scopes": ["push"], "expires_in_days": 0 }), 400, "An API key expires after 1 to 365 days, not 0."),
        (json!({ "scopes": ["push"], "expires_in_days": 366 }), 400, "An API key expires after 1 to 365 days, not 366."),
        (json!({ "scopes": ["delete"] }), 400, "Unknown scope 'delete'; use push, push-version or unlist."),
        (json!({ "scopes": [] }), 400, "An API key needs at least one scope."),
        (json!({ "scopes": ["push"], "globs": ["a/b"] }), 400, "Bad glob pattern: 'a/b' is not a package id pattern; use letters, digits, '.', '-', '_' and '*'."),
        (json!({ "scopes": ["push"], "packages": ["bad id"] }), 400, "'bad id' is not a package id: the package id contains ' '; only letters, digits, '.', '-' and '_' are allowed."),
        (json!({ "scopes": ["push"], "owner": "nobody" }), 404, "There is no organization named 'nobody'."),
    ];
    for (body, status, message) in cases {
        let (st, text) = status_text(app.post_json("/api/keys", Some(&s), body.clone()));
        assert_eq!((st, text.as_str()), (status, message), "{body}");
    }
    assert_eq!(app.count("SELECT count(*) FROM api_keys"), 0);
    assert_eq!(app.post_json("/api/keys", None, json!({ "scopes": ["push"] })).status(), 401);
}

#[test]
fn a_non_owners_push_of_a_new_version_is_refused() {
    let app = spawn_app();
    let (_, alice) = app.user_with_key("alice");
    let (_, bob) = app.user_with_key("bob");
    app.push_ok(&alice, "Acme.Core", "1.0.0");
    let (s, text) = status_text(app.push(Some(&bob), &nupkg("Acme.Core", "2.0.0")));
    assert_eq!(
        (s, text.as_str()),
        (403, "The package 'Acme.Core' is owned by another account; only its owners may push new versions of it.")
    );
    assert_eq!(app.stored().1, 1);
}

#[test]
fn a_key_scoped_to_a_glob_cannot_push_other_ids() {
    let app = spawn_app();
    let id = app.create_user("alice", false);
    let key = app.create_key(id, "push", &["Acme.*"]);
    let (s, text) = status_text(app.push(Some(&key), &nupkg("Other.Lib", "1.0.0")));
    assert_eq!(
        (s, text.as_str()),
        (403, "This API key is not allowed to act on 'Other.Lib': it is limited to packages matching Acme.*.")
    );
    app.push_ok(&key, "Acme.Core", "1.0.0");
}

#[test]
fn a_push_version_key_cannot_create_a_new_id() {
    let app = spawn_app();
    let (id, full) = app.user_with_key("alice");
    app.push_ok(&full, "Acme.Core", "1.0.0");
    let key = app.create_key(id, "push-version", &[]);
    let (s, text) = status_text(app.push(Some(&key), &nupkg("Acme.New", "1.0.0")));
    assert_eq!(
        (s, text.as_str()),
        (403, "This API key is not allowed to push new package ids (it has only the push-version scope).")
    );
    app.push_ok(&key, "Acme.Core", "1.1.0");
}

#[test]
fn expired_and_deleted_keys_are_refused_with_the_reason() {
    let app = spawn_app();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let expired = create(&app, &s, json!({ "scopes": ["push"], "expires_in_days": 1 }));
    app.advance(Duration::days(1) + Duration::seconds(1));
    let expired_on = app.text(&format!("SELECT substr(expires_at, 1, 10) FROM api_keys WHERE id = {}", expired["id"]));
    let (st, text) = status_text(app.push(expired["key"].as_str(), &nupkg("Acme.Core", "1.0.0")));
    assert_eq!(st, 403);
    assert_eq!(
        text,
        format!("The API key {}… expired on {expired_on}; create a new one.", expired["prefix"].as_str().unwrap())
    );
    let list: Value = app.get_as("/api/keys", &s).json().unwrap();
    assert_eq!(list[0]["expired"], true);

    let deleted = create(&app, &s, json!({ "scopes": ["push"] }));
    assert_eq!(app.delete_as(&format!("/api/keys/{}", deleted["id"]), &s).status(), 204);
    let (st, text) = status_text(app.push(deleted["key"].as_str(), &nupkg("Acme.Core", "1.0.0")));
    assert_eq!(st, 403);
    assert_eq!(text, format!("The API key {}… was deleted; create a new one.", deleted["prefix"].as_str().unwrap()));
    assert_eq!(app.get_as("/api/keys", &s).json::<Value>().unwrap().as_array().unwrap().len(), 1);
    assert_eq!(app.stored().0, 0);
}

#[test]
fn regenerating_gives_a_new_secret_with_the_same_settings() {
    let app = spawn_app();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let old = create(&app, &s, json!({ "scopes": ["push"], "globs": ["Acme.*"], "expires_in_days": 10 }));
    // Regenerating an expired key gives it its 10 days again, counted from now.
    app.advance(Duration::days(11));
    let r = app.post_json(&format!("/api/keys/{}/regenerate", old["id"]), Some(&s), json!({}));
    assert_eq!(r.status(), 200);
    let new: Value = r.json().unwrap();
    assert_eq!(new["id"], old["id"]);
    assert_ne!(new["key"], old["key"]);
    let (st, text) = status_text(app.push(old["key"].as_str(), &nupkg("Acme.Core", "1.0.0")));
    assert_eq!((st, text.as_str()), (403, "The API key is not valid for this server."));
    app.push_ok(new["key"].as_str().unwrap(), "Acme.Core", "1.0.0");
    assert_eq!(app.push(new["key"].as_str(), &nupkg("Other.Lib", "1.0.0")).status(), 403);
    let nine_days_on = galley::domain::clock::text(app.state.clock.now() + Duration::days(9));
    assert_eq!(app.count(&format!("SELECT count(*) FROM api_keys WHERE expires_at > '{nine_days_on}'")), 1);
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE action LIKE 'apikey.%'"), 2);
}

#[test]
fn other_users_keys_are_not_found() {
    let app = spawn_app();
    app.create_user("alice", false);
    app.create_user("bob", false);
    let alice = app.sign_in("alice");
    let bob = app.sign_in("bob");
    let key = create(&app, &alice, json!({ "scopes": ["push"] }));
    let (st, text) = status_text(app.delete_as(&format!("/api/keys/{}", key["id"]), &bob));
    assert_eq!((st, text), (404, format!("You have no API key {}.", key["id"])));
    assert_eq!(app.post_json(&format!("/api/keys/{}/regenerate", key["id"]), Some(&bob), json!({})).status(), 404);
    assert_eq!(app.get_as("/api/keys", &bob).json::<Value>().unwrap(), json!([]));
}

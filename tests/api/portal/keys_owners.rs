//! API keys, owners and "Manage my packages" through the HTML forms.
use super::forms::{assert_redirect, escaped, field_error, get_page, location, post_as, post_form};
use crate::helpers::{link_token, spawn_app};

#[test]
fn api_key_is_created_shown_once_and_pushes() {
    let app = spawn_app();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let fields = [
        ("description", "ci"),
        ("scopes", "push"),
        ("scopes", "unlist"),
        ("globs", "Web.*"),
        ("expires_in_days", "30"),
    ];
    let r = post_as(&app, "/account/apikeys", &s, &fields);
    assert_eq!(r.status(), 200);
    let body = r.text().unwrap();
    let marker = "<code id=\"new-api-key\" class=\"secret\">";
    let start = body.find(marker).unwrap() + marker.len();
    let key = &body[start..start + body[start..].find('<').unwrap()];
    assert!(body.contains("push, unlist") && body.contains("Web.*"), "{body}");
    app.push_ok(key, "Web.Keyed", "1.0.0");
    let list = get_page(&app, "/account/apikeys", Some(&s)).text().unwrap();
    assert!(!list.contains(key), "the secret is never shown again");
    assert!(list.contains("ci"), "{list}");
}

type Fields<'a> = &'a [(&'a str, &'a str)];

#[test]
fn api_key_form_errors_are_beside_their_field_and_keep_the_input() {
    let app = spawn_app();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let cases: [(Fields, &str, &str); 3] = [
        (&[("description", "kept text"), ("expires_in_days", "30")], "scopes", "An API key needs at least one scope."),
        (
            &[("description", "kept text"), ("scopes", "push"), ("expires_in_days", "900")],
            "expires_in_days",
            "An API key expires after 1 to 365 days, not 900.",
        ),
        (
            &[("description", "kept text"), ("scopes", "push"), ("expires_in_days", "x")],
            "expires_in_days",
            "Enter the number of days the key stays valid (1 to 365).",
        ),
    ];
    for (fields, field, message) in cases {
        let r = post_as(&app, "/account/apikeys", &s, fields);
        assert_eq!(r.status(), 400, "{message}");
        let body = r.text().unwrap();
        assert!(body.contains(&field_error(field, message)), "{message}: {body}");
        assert!(body.contains("value=\"kept text\""));
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM api_keys"), 0);
    assert_eq!(
        post_form(&app, "/account/apikeys", Some(&s), None, &[("scopes", "push"), ("expires_in_days", "3")]).status(),
        403
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM api_keys"), 0);
}

#[test]
fn api_keys_regenerate_and_delete() {
    let app = spawn_app();
    let user = app.create_user("alice", false);
    let old = app.create_key(user, "push", &[]);
    let s = app.sign_in("alice");
    let id = app.count("SELECT id FROM api_keys");
    let body = post_as(&app, &format!("/account/apikeys/{id}/regenerate"), &s, &[]).text().unwrap();
    assert!(body.contains("id=\"new-api-key\""));
    assert_eq!(app.push(Some(&old), &crate::helpers::nupkg("A.B", "1.0.0")).status(), 403);
    assert_redirect(post_as(&app, &format!("/account/apikeys/{id}/delete"), &s, &[]), "/account/apikeys");
    assert!(get_page(&app, "/account/apikeys", Some(&s)).text().unwrap().contains("You have no API keys yet."));
    let r = get_page(&app, "/account/apikeys", None);
    assert_eq!(location(&r), "/users/account/LogOn?returnUrl=%2Faccount%2Fapikeys");
}

#[test]
fn owners_invite_accept_by_link_and_manage_page() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push_ok(&key, "Shared.Pkg", "1.0.0");
    let bob = app.create_user("bob", false);
    let s = app.sign_in("alice");
    // Validation: unknown account, beside the field; nothing stored.
    let r = post_as(&app, "/packages/Shared.Pkg/owners", &s, &[("username", "nobody")]);
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains(&field_error("username", &escaped("There is no account named 'nobody'."))));
    assert_eq!(post_form(&app, "/packages/Shared.Pkg/owners", Some(&s), None, &[("username", "bob")]).status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM owner_invitations"), 0);
    assert_redirect(
        post_as(&app, "/packages/Shared.Pkg/owners", &s, &[("username", "bob")]),
        "/packages/Shared.Pkg/owners",
    );
    let page = get_page(&app, "/packages/Shared.Pkg/owners", Some(&s)).text().unwrap();
    assert!(page.contains("bob <span class=\"badge badge-warning\">pending approval</span>"), "{page}");
    let email = app.text(&format!("SELECT email FROM users WHERE id = {bob}"));
    let token = link_token(&app.wait_for_mail(&email), "/owners/confirm");
    let b = app.sign_in("bob");
    let confirm = format!("/packages/Shared.Pkg/owners/confirm?token={token}");
    assert!(get_page(&app, &confirm, Some(&b)).text().unwrap().contains("Accept"));
    assert_eq!(get_page(&app, &confirm, None).status(), 303);
    assert_redirect(
        post_as(&app, "/packages/Shared.Pkg/owners/confirm", &b, &[("token", &token), ("answer", "accept")]),
        "/account/packages",
    );
    let mine = get_page(&app, "/account/packages", Some(&b)).text().unwrap();
    assert!(mine.contains(">Shared.Pkg</a>"), "{mine}");
    // The last-owner rule comes from the service, shown on the page.
    assert_redirect(
        post_as(&app, "/packages/Shared.Pkg/owners/remove", &s, &[("username", "bob")]),
        "/packages/Shared.Pkg/owners",
    );
    let r = post_as(&app, "/packages/Shared.Pkg/owners/remove", &s, &[("username", "alice")]);
    assert_eq!(r.status(), 400);
    assert!(r
        .text()
        .unwrap()
        .contains(&escaped("'alice' is the last owner of 'Shared.Pkg'; add another owner before removing it.")));
}

#[test]
fn manage_page_answers_invitations_and_unlists_versions() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push_ok(&key, "Managed.Pkg", "1.0.0");
    app.create_user("bob", false);
    let s = app.sign_in("alice");
    assert_redirect(
        post_as(&app, "/packages/Managed.Pkg/owners", &s, &[("username", "bob")]),
        "/packages/Managed.Pkg/owners",
    );
    assert_redirect(
        post_as(&app, "/packages/Managed.Pkg/owners/cancel", &s, &[("username", "bob")]),
        "/packages/Managed.Pkg/owners",
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM owner_invitations"), 0);
    post_as(&app, "/packages/Managed.Pkg/owners", &s, &[("username", "bob")]);
    let b = app.sign_in("bob");
    let mine = get_page(&app, "/account/packages", Some(&b)).text().unwrap();
    assert!(mine.contains("pending approval") && mine.contains("Managed.Pkg"), "{mine}");
    assert_redirect(
        post_as(&app, "/account/packages/Managed.Pkg/invitation", &b, &[("invitee", "bob"), ("answer", "decline")]),
        "/account/packages",
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM package_owners"), 1);
    assert_redirect(
        post_as(&app, "/account/packages/Managed.Pkg/1.0.0/listed", &s, &[("listed", "false")]),
        "/account/packages",
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM package_versions WHERE listed = 0"), 1);
    assert_eq!(post_as(&app, "/account/packages/Managed.Pkg/1.0.0/listed", &b, &[("listed", "true")]).status(), 403);
    assert!(get_page(&app, "/account/packages", Some(&s)).text().unwrap().contains("Relist"));
}

#[test]
fn owners_and_manage_pages_answer_a_junk_id_or_version_with_the_path_404() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push_ok(&key, "Junk.Pkg", "1.0.0");
    app.create_user("bob", false);
    let s = app.sign_in("alice");
    // The id is parsed once by the path extractor, before any service runs.
    let missing = "The requested resource does not exist.";
    let r = get_page(&app, "/packages/a%20b/owners", Some(&s));
    assert_eq!(r.status(), 404);
    assert!(r.text().unwrap().contains(missing));
    for (path, fields) in [
        ("/packages/a..b/owners", &[("username", "bob")][..]),
        ("/packages/a%20b/owners/remove", &[("username", "alice")][..]),
        ("/packages/a%20b/owners/cancel", &[("username", "bob")][..]),
        ("/packages/a%20b/owners/confirm", &[("token", "x"), ("answer", "accept")][..]),
        ("/account/packages/a%20b/invitation", &[("invitee", "bob"), ("answer", "accept")][..]),
        ("/account/packages/a%20b/1.0.0/listed", &[("listed", "false")][..]),
        ("/account/packages/Junk.Pkg/x.y/listed", &[("listed", "false")][..]),
        ("/account/packages/Junk.Pkg/x.y/deprecation", &[("reasons", "Legacy")][..]),
    ] {
        let r = post_as(&app, path, &s, fields);
        assert_eq!(r.status(), 404, "POST {path}");
        assert!(r.text().unwrap().contains(missing), "POST {path}");
    }
    // Nothing was stored by asking.
    assert_eq!(app.count("SELECT COUNT(*) FROM owner_invitations"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM package_versions WHERE listed = 0"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM package_owners"), 1);
}

//! The authorization matrix: every route of `http::configure` with the rule that guards it, checked
//! against every kind of caller that must be refused. The table below is the inventory; the first
//! test reads the route declarations in `src/http/` and fails when one has no row here, so a new
//! route cannot ship without deciding (and testing) who may call it.
use crate::helpers::{nupkg, spawn_app, spawn_app_with, status_text, TestApp};
use serde_json::json;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    /// Needed to obtain credentials, or for monitoring: open even on a private feed.
    Open,
    /// Anyone on a public feed (reads, and the support request form of the JSON API, which a
    /// signed-out owner uses to recover a package); credentials on a private one.
    Public,
    /// `X-NuGet-ApiKey` with the right scope, glob and ownership.
    Key,
    /// A JSON API session, and the CSRF header on unsafe methods.
    Session,
    /// A JSON API session of an administrator.
    Admin,
    /// A portal page or form of a signed-in account (forms also carry the CSRF field).
    Portal,
    /// A portal page or form of an administrator.
    PortalAdmin,
    /// A portal form used signed out (sign-in, register, forgot password): the pre-session CSRF token.
    PreSession,
    /// Authorized by the single-use token of an emailed link, carried in the form.
    EmailToken,
}
use Guard::{Admin, EmailToken, Key, Open, Portal, PortalAdmin, PreSession, Public, Session};

/// (method, path template, guard). `{…}` segments are filled by `concrete`.
const ROUTES: &[(&str, &str, Guard)] = &[
    ("GET", "/health", Open),
    // 404 unless `[metrics] enabled`; then its own bearer token, when set (tests/api/metrics.rs).
    ("GET", "/metrics", Open),
    ("GET", "/static/{file}", Open),
    // Feeds.
    ("GET", "/v3/index.json", Public),
    ("GET", "/v3/flatcontainer/{id}/index.json", Public),
    ("GET", "/v3/flatcontainer/{id}/{version}/{file}", Public),
    ("HEAD", "/v3/flatcontainer/{id}/{version}/{file}", Public),
    ("GET", "/v3/query", Public),
    ("GET", "/v3/autocomplete", Public),
    ("GET", "/v3/vulnerabilities/index.json", Public),
    ("GET", "/v3/vulnerabilities/{page}", Public),
    ("GET", "/v3/{hive}/{id}/index.json", Public),
    ("GET", "/v3/{hive}/{id}/page/{lower}/{upper}.json", Public),
    ("GET", "/v3/{hive}/{id}/{leaf}", Public),
    ("GET", "/api/v2", Public),
    ("GET", "/api/v2/", Public),
    ("GET", "/api/v2/{resource}", Public),
    ("GET", "/api/v2/{resource}/{member}", Public),
    ("GET", "/api/v2/package/{id}/{version}", Public),
    ("GET", "/api/v2/package/{id}/{version}/", Public),
    ("GET", "/api/v2/package/{id}", Public),
    ("GET", "/api/v2/package/{id}/", Public),
    // Symbols (HEAD answers like GET; the seeded package has no symbols, so only GET rows: a HEAD
    // 404 cannot be told from an unrouted path).
    ("GET", "/api/v2/symbolpackage/{id}/{version}", Public),
    ("GET", "/symbols/{file}/{key}/{file2}", Public),
    // Publishing (also at the feed URL itself, where nuget.exe sends it for a `/api/v2/` source).
    ("PUT", "/api/v2/package", Key),
    ("PUT", "/api/v2/package/", Key),
    ("PUT", "/api/v2/symbolpackage", Key),
    ("PUT", "/api/v2/symbolpackage/", Key),
    ("DELETE", "/api/v2/package/{id}/{version}", Key),
    ("POST", "/api/v2/package/{id}/{version}", Key),
    ("PUT", "/api/v2", Key),
    ("PUT", "/api/v2/", Key),
    ("DELETE", "/api/v2/{id}/{version}", Key),
    ("POST", "/api/v2/{id}/{version}", Key),
    // The JSON API.
    ("GET", "/api/account", Session),
    ("POST", "/api/account/register", Open),
    ("POST", "/api/account/signin", Open),
    ("POST", "/api/account/signout", Session),
    ("POST", "/api/account/password", Session),
    ("POST", "/api/account/email", Session),
    ("POST", "/api/account/confirm-email", Open),
    ("POST", "/api/account/confirm-email/resend", Session),
    ("POST", "/api/account/password-reset", Open),
    ("POST", "/api/account/password-reset/complete", Open),
    ("GET", "/api/keys", Session),
    ("POST", "/api/keys", Session),
    ("POST", "/api/keys/{key}/regenerate", Session),
    ("DELETE", "/api/keys/{key}", Session),
    ("GET", "/api/packages/{id}/owners", Public),
    ("POST", "/api/packages/{id}/owners", Session),
    ("POST", "/api/packages/{id}/owners/confirm", Session),
    ("POST", "/api/packages/{id}/owners/decline", Session),
    ("DELETE", "/api/packages/{id}/owners/invitations/{username}", Session),
    ("DELETE", "/api/packages/{id}/owners/{username}", Session),
    ("GET", "/api/packages/{id}/audit", Session),
    // Deprecation takes a session or, like unlisting, an API key with the unlist scope (the key
    // cases are in `tests/api/notices.rs`).
    ("PUT", "/api/packages/{id}/versions/{version}/deprecation", Session),
    ("DELETE", "/api/packages/{id}/versions/{version}/deprecation", Session),
    ("POST", "/api/orgs", Session),
    ("GET", "/api/orgs/{org}", Session),
    ("PUT", "/api/orgs/{org}/members/{username}", Session),
    ("DELETE", "/api/orgs/{org}/members/{username}", Session),
    ("GET", "/api/admin/support", Admin),
    ("POST", "/api/admin/support/{request}/add-owner", Admin),
    ("POST", "/api/admin/support/{request}/invite", Admin),
    ("POST", "/api/admin/support/{request}/close", Admin),
    ("POST", "/api/admin/packages/{id}/owners", Admin),
    ("GET", "/api/admin/audit", Admin),
    ("GET", "/api/admin/mail", Admin),
    ("GET", "/api/admin/users", Admin),
    ("POST", "/api/admin/users", Admin),
    ("POST", "/api/admin/users/{username}", Admin),
    ("GET", "/api/admin/advisories", Admin),
    ("POST", "/api/admin/advisories", Admin),
    ("DELETE", "/api/admin/advisories/{advisory}", Admin),
    ("GET", "/contact", Public),
    ("POST", "/contact", Public),
    // The portal.
    ("GET", "/", Public),
    ("GET", "/packages", Public),
    ("GET", "/packages/manage/upload", Portal),
    ("POST", "/packages/manage/upload", Portal),
    ("GET", "/packages/manage/upload/verify", Portal),
    ("POST", "/packages/manage/upload/submit", Portal),
    ("POST", "/packages/manage/upload/cancel", Portal),
    ("GET", "/users/account/LogOn", Public),
    ("POST", "/users/account/LogOn", PreSession),
    ("GET", "/users/account/Register", Public),
    ("POST", "/users/account/Register", PreSession),
    ("POST", "/users/account/LogOff", Portal),
    // The second sign-in step: its own short-lived cookie besides the pre-session token.
    ("GET", "/users/account/TwoFactor", Public),
    ("POST", "/users/account/TwoFactor", PreSession),
    // OpenID Connect (tests/oidc/run.py drives them against a real provider): the start is a
    // signed-out form; the callback is authorized by its single-use state.
    ("POST", "/users/account/oidc/{provider}", PreSession),
    ("GET", "/users/account/oidc/{provider}/callback", Public),
    ("GET", "/account/sign-in-providers", Portal),
    ("POST", "/account/sign-in-providers/{provider}", Portal),
    ("GET", "/packages/{id}/owners", Portal),
    ("POST", "/packages/{id}/owners", Portal),
    ("POST", "/packages/{id}/owners/remove", Portal),
    ("POST", "/packages/{id}/owners/cancel", Portal),
    ("GET", "/packages/{id}/owners/confirm", Portal),
    ("POST", "/packages/{id}/owners/confirm", Portal),
    ("GET", "/packages/{id}", Public),
    ("GET", "/packages/{id}/{version}", Public),
    ("GET", "/packages/{id}/{version}/License", Public),
    ("GET", "/packages/{id}/{version}/ReportAbuse", Public),
    // Anyone may report or ask for help (a signed-out visitor could post it directly anyway);
    // signed in, the form must carry the session's CSRF token.
    ("POST", "/packages/{id}/{version}/ReportAbuse", Public),
    ("POST", "/contact/send", Public),
    ("GET", "/users/account/ForgotPassword", Public),
    ("POST", "/users/account/ForgotPassword", PreSession),
    ("GET", "/account/reset-password", Public),
    ("POST", "/account/reset-password", EmailToken),
    ("GET", "/account/confirm-email", Public),
    ("POST", "/account/confirm-email", EmailToken),
    ("GET", "/admin", PortalAdmin),
    ("GET", "/admin/support", PortalAdmin),
    ("POST", "/admin/users/{username}", PortalAdmin),
    ("POST", "/admin/support/{request}", PortalAdmin),
    ("GET", "/account", Portal),
    ("POST", "/account/password", Portal),
    ("POST", "/account/email", Portal),
    ("POST", "/account/confirm-email/resend", Portal),
    ("GET", "/account/two-factor", Portal),
    ("POST", "/account/two-factor/confirm", Portal),
    ("POST", "/account/two-factor/disable", Portal),
    ("GET", "/account/apikeys", Portal),
    ("POST", "/account/apikeys", Portal),
    ("POST", "/account/apikeys/{key}/regenerate", Portal),
    ("POST", "/account/apikeys/{key}/delete", Portal),
    ("GET", "/account/packages", Portal),
    ("POST", "/account/packages/{id}/invitation", Portal),
    ("POST", "/account/packages/{id}/{version}/listed", Portal),
    ("POST", "/account/packages/{id}/{version}/deprecation", Portal),
    ("GET", "/profiles/{name}", Public),
];

fn concrete(template: &str) -> String {
    let mut path = template.to_owned();
    for (name, value) in [
        ("{id}", "Acme.Core"),
        ("{version}", "1.0.0"),
        ("{file}", "acme.core.nuspec"),
        ("{file2}", "acme.core.nuspec"),
        ("{hive}", "registration"),
        ("{leaf}", "1.0.0.json"),
        ("{lower}", "1.0.0"),
        ("{upper}", "1.0.0"),
        ("{key}", "1"),
        ("{org}", "acme-org"),
        ("{username}", "bob"),
        ("{request}", "1"),
        ("{advisory}", "1"),
        ("{page}", "base.json"),
        ("{resource}", "Packages"),
        ("{member}", "$count"),
        ("{name}", "alice"),
        ("{provider}", "corp"),
    ] {
        path = path.replace(name, value);
    }
    if template.starts_with("/static/") {
        path = "/static/app.css".into();
    }
    path
}

/// Every path literal a route, resource or scope is declared with in `src/http/`.
fn declared_path_literals() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(&root).into_iter().filter_map(Result::ok) {
        if entry.path().extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for line in text.lines() {
            for marker in [".route(\"", "scope(\"", "resource(\"", "read_only([\"", "for root in [\""] {
                let Some(at) = line.find(marker) else { continue };
                // Every quoted literal on the line from the marker on (read_only and roots list several).
                for literal in line[at + marker.len() - 1..].split('"').skip(1).step_by(2) {
                    if literal.starts_with('/') {
                        found.push((entry.path().display().to_string(), literal.to_owned()));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn every_declared_route_has_a_row_in_the_matrix() {
    let literals = declared_path_literals();
    assert!(literals.len() > 80, "the scan found only {} route literals", literals.len());
    let missing: Vec<_> = literals
        .iter()
        .filter(|(_, literal)| !ROUTES.iter().any(|(_, template, _)| template.contains(literal.as_str())))
        .collect();
    assert!(missing.is_empty(), "routes without a row in the authorization matrix: {missing:#?}");
}

/// A server with the package every row's path names (Acme.Core 1.0.0, owned by alice), and bob.
fn seeded(tweak: impl FnOnce(&mut galley::config::Config)) -> TestApp {
    let app = spawn_app_with(tweak);
    let (_, key) = app.user_with_key("alice");
    app.push_ok(&key, "Acme.Core", "1.0.0");
    app.create_user("bob", false);
    app
}

fn request(app: &TestApp, method: &str, path: &str) -> reqwest::blocking::RequestBuilder {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    app.client.request(method, app.url(path))
}

/// The portal pages that sign a visitor in (or carry an emailed link's token): open on a private
/// feed too, so that directory and OIDC accounts, which have no password for a Basic prompt, can
/// sign in. Each keeps its own guard (pre-session CSRF, the emailed token) as on a public feed.
fn is_sign_in_page(template: &str) -> bool {
    (template.starts_with("/users/account/") && template != "/users/account/LogOff")
        || ["/account/reset-password", "/account/confirm-email"].contains(&template)
}

#[test]
fn private_mode_every_route_but_the_open_ones_needs_credentials() {
    let app = seeded(|c| c.feed.require_auth = true);
    for (method, template, guard) in ROUTES {
        if *guard == Key {
            continue; // Publishing is authorized by its API key (next tests).
        }
        let path = concrete(template);
        let r = request(&app, method, &path).header("Content-Type", "application/json").body("{}").send().unwrap();
        let status = r.status().as_u16();
        if *guard == Open || is_sign_in_page(template) {
            assert_ne!(status, 401, "{method} {path} must stay open on a private feed");
        } else {
            assert_eq!(status, 401, "{method} {path}: anonymous on a private feed");
            assert_eq!(r.headers()["www-authenticate"], "Basic realm=\"Galley\"", "{method} {path}");
        }
    }
}

#[test]
fn session_routes_refuse_anonymous_callers_missing_csrf_and_non_admins() {
    let app = seeded(|_| {});
    let alice = app.sign_in("alice");
    for (method, template, guard) in ROUTES {
        if !matches!(guard, Session | Admin) {
            continue;
        }
        let path = concrete(template);
        let (status, text) = status_text(request(&app, method, &path).json(&json!({})).send().unwrap());
        assert_eq!(
            (status, text.as_str()),
            (401, "Sign in first (POST /api/account/signin); this needs a session."),
            "{method} {path} anonymous"
        );
        if *method != "GET" {
            let r = request(&app, method, &path).header("Cookie", &alice.cookie).json(&json!({})).send().unwrap();
            let (status, text) = status_text(r);
            assert_eq!(status, 403, "{method} {path} without the CSRF header");
            assert!(text.starts_with("This request needs the X-Galley-Csrf header"), "{method} {path}: {text}");
        }
        if *guard == Admin {
            let r = request(&app, method, &path)
                .header("Cookie", &alice.cookie)
                .header("X-Galley-Csrf", &alice.csrf)
                .json(&json!({}))
                .send()
                .unwrap();
            let (status, text) = status_text(r);
            assert_eq!((status, text.as_str()), (403, "Only administrators may do this."), "{method} {path}");
        }
    }
    // A disabled account's session ends.
    galley::services::accounts::set_disabled(&app.state, "alice", true, "test").unwrap();
    assert_eq!(app.get_as("/api/account", &alice).status(), 401);
}

#[test]
fn portal_routes_send_the_signed_out_to_sign_in_and_refuse_forms_without_their_token() {
    let app = seeded(|_| {});
    let alice = app.sign_in("alice");
    for (method, template, guard) in ROUTES {
        let path = concrete(template);
        match guard {
            Portal | PortalAdmin => {
                let r = request(&app, method, &path).form(&[("x", "y")]).send().unwrap();
                assert_eq!(r.status(), 303, "{method} {path} anonymous");
                let to = r.headers()["location"].to_str().unwrap();
                assert!(to.starts_with("/users/account/LogOn?returnUrl="), "{method} {path} → {to}");
            }
            PreSession => {
                let r = request(&app, method, &path).form(&[("x", "y")]).send().unwrap();
                assert_eq!(r.status(), 403, "{method} {path} without the form's token");
            }
            EmailToken => {
                let r = request(&app, method, &path)
                    .form(&[("token", "forged"), ("new_password", "a-good-password-1")])
                    .send()
                    .unwrap();
                assert_eq!(r.status(), 400, "{method} {path} with a forged token");
                assert!(r.text().unwrap().contains("link is not valid"), "{method} {path}");
            }
            Public if *method == "POST" => {}
            _ => continue,
        }
        if *method == "POST" && matches!(guard, Portal | PortalAdmin) {
            let r = request(&app, method, &path).header("Cookie", &alice.cookie);
            // The upload form is multipart; the others are url-encoded.
            let r = if path == "/packages/manage/upload" {
                let part = reqwest::blocking::multipart::Part::bytes(nupkg("A", "1.0.0")).file_name("a.nupkg");
                r.multipart(reqwest::blocking::multipart::Form::new().part("package", part))
            } else {
                r.form(&[("x", "y")])
            };
            let r = r.send().unwrap();
            assert_eq!(r.status(), 403, "{method} {path} signed in, without the CSRF field");
        }
        let portal_form = *method == "POST" && *guard == Public && !path.starts_with("/api/") && path != "/contact";
        if portal_form {
            let r = request(&app, method, &path).header("Cookie", &alice.cookie).form(&[("x", "y")]).send().unwrap();
            assert_eq!(r.status(), 403, "{method} {path} signed in, without the CSRF field");
        }
        if *guard == PortalAdmin && *method == "GET" {
            let r = request(&app, method, &path).header("Cookie", &alice.cookie).send().unwrap();
            assert_eq!(r.status(), 403, "{method} {path} as a non-admin");
        }
    }
}

/// (who, API key, status, and what the refusal of push, delete and relist says; "" = allowed).
type WrongCaller<'a> = (&'a str, Option<&'a str>, u16, &'a str, &'a str, &'a str);

/// Every kind of wrong caller of the publish routes, with the exact refusal.
#[test]
fn publish_routes_refuse_every_wrong_key() {
    let app = spawn_app();
    let alice = app.create_user("alice", false);
    let bob = app.create_user("bob", false);
    let carol = app.create_user("carol", false);
    let good = app.create_key(alice, "push,unlist", &[]);
    app.push_ok(&good, "Acme.Core", "1.0.0");
    // An organization owning Org.Lib, with carol as a collaborator and alice as its admin.
    let admin_session = app.sign_in("alice");
    let r = app.post_json("/api/orgs", Some(&admin_session), json!({ "name": "acme-org", "email": "org@example.com" }));
    assert_eq!(r.status(), 201, "{:?}", r.text());
    let r = app.api(
        reqwest::Method::PUT,
        "/api/orgs/acme-org/members/carol",
        Some(&admin_session),
        Some(json!({ "role": "collaborator" })),
    );
    assert!(r.status().is_success(), "{:?}", r.text());

    let revoked = app.create_key(alice, "push,unlist", &[]);
    let keys: serde_json::Value = app.get_as("/api/keys", &admin_session).json().unwrap();
    let newest = keys.as_array().unwrap().iter().map(|k| k["id"].as_i64().unwrap()).max().unwrap();
    assert_eq!(app.delete_as(&format!("/api/keys/{newest}"), &admin_session).status(), 204);
    let expired = app.create_key_days(alice, "push,unlist", &[], 1);
    // A day passes: this key expires; sessions (14 days) and the other keys (a year) live on.
    app.advance(chrono::Duration::days(1) + chrono::Duration::seconds(1));
    let expired_on = format!(
        "expired on {}",
        app.text("SELECT substr(expires_at, 1, 10) FROM api_keys WHERE id = (SELECT max(id) FROM api_keys)")
    );
    let other_users = app.create_key(bob, "push,unlist", &[]);
    let unlist_only = app.create_key(alice, "unlist", &[]);
    let push_only = app.create_key(alice, "push", &[]);
    let wrong_glob = app.create_key(alice, "push,unlist", &["Other.*"]);
    let collaborator = app.create_key(carol, "push,unlist", &[]);
    let disabled_user = app.create_user("dave", false);
    let disabled = app.create_key(disabled_user, "push,unlist", &[]);
    galley::services::accounts::set_disabled(&app.state, "dave", true, "test").unwrap();

    let owned_by_another = "The package 'Acme.Core' is owned by another account; only its owners may";
    let callers: [WrongCaller; 9] = [
        ("anonymous", None, 401, "An API key is required", "An API key is required", "An API key is required"),
        (
            "wrong key",
            Some("not-a-key"),
            403,
            "The API key is not valid",
            "The API key is not valid",
            "The API key is not valid",
        ),
        ("revoked key", Some(&revoked), 403, "was deleted; create a new one.", "was deleted", "was deleted"),
        ("expired key", Some(&expired), 403, &expired_on, &expired_on, &expired_on),
        ("another user's key", Some(&other_users), 403, owned_by_another, owned_by_another, owned_by_another),
        ("key without the scope", Some(&unlist_only), 403, "lacks the push scope", "", ""),
        (
            "glob excludes the id",
            Some(&wrong_glob),
            403,
            "limited to packages matching Other.*",
            "limited to packages matching Other.*",
            "limited to packages matching Other.*",
        ),
        (
            "collaborator of another organization",
            Some(&collaborator),
            403,
            owned_by_another,
            owned_by_another,
            owned_by_another,
        ),
        ("disabled user", Some(&disabled), 403, "The account 'dave' is disabled.", "is disabled", "is disabled"),
    ];
    for (who, key, status, push_msg, delete_msg, relist_msg) in callers {
        let mut push =
            app.client.put(app.url("/api/v2/package/")).multipart(reqwest::blocking::multipart::Form::new().part(
                "package",
                reqwest::blocking::multipart::Part::bytes(nupkg("Acme.Core", "2.0.0")).file_name("p.nupkg"),
            ));
        let mut delete = app.client.delete(app.url("/api/v2/package/Acme.Core/1.0.0"));
        let mut relist = app.client.post(app.url("/api/v2/package/Acme.Core/1.0.0"));
        if let Some(k) = key {
            push = push.header("X-NuGet-ApiKey", k);
            delete = delete.header("X-NuGet-ApiKey", k);
            relist = relist.header("X-NuGet-ApiKey", k);
        }
        for (action, r, expected) in
            [("push", push, push_msg), ("delete", delete, delete_msg), ("relist", relist, relist_msg)]
        {
            let (s, text) = status_text(r.send().unwrap());
            if expected.is_empty() {
                // The unlist-only key may unlist and relist its own package.
                assert!(s < 300, "{who} {action}: {s} {text}");
                continue;
            }
            assert_eq!(s, status, "{who} {action}: {text}");
            assert!(text.contains(expected), "{who} {action}: {text}");
        }
    }
    // The push-only key may push new versions but not unlist them.
    let (s, text) = status_text(
        app.client
            .delete(app.url("/api/v2/package/Acme.Core/1.0.0"))
            .header("X-NuGet-ApiKey", &push_only)
            .send()
            .unwrap(),
    );
    assert_eq!(
        (s, text.as_str()),
        (403, "This API key is not allowed to unlist or relist packages (it lacks the unlist scope).")
    );
    // Nothing the refused callers sent was stored.
    assert_eq!(app.count("SELECT COUNT(*) FROM package_versions WHERE version_lower = '2.0.0'"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM package_versions WHERE listed = 1"), 1);
}

#[test]
fn the_matrix_rows_are_real_routes() {
    // A row for a route that does not exist would make the tests above vacuous for it: with the
    // right credentials every row answers something other than the portal's 404 page.
    let app = seeded(|_| {});
    let home = app.get("/").text().unwrap();
    let css_at = home.find("/static/app.").expect("the stylesheet link");
    let css = &home[css_at..css_at + home[css_at..].find('"').unwrap()];
    for (method, template, _) in ROUTES {
        let path = if template.starts_with("/static/") { css.to_owned() } else { concrete(template) };
        let r = request(&app, method, &path).send().unwrap();
        // The portal's fallback for paths no route claims (`errors::not_found`).
        let unrouted = r.status() == 404
            && (method == &"HEAD"
                || r.text().unwrap().contains("The page you are looking for does not exist or was moved."));
        assert!(!unrouted, "{method} {path} is not routed");
    }
}

//! The outside audit's findings (issue 12), one test each: every one of these failed before its fix.
use crate::helpers::{link_token, nupkg, nupkg_extra, nupkg_named, nuspec, spawn_app, spawn_app_with, status_text};
use serde_json::json;

const XHTML_NUSPEC_TAIL: &str =
    r#"<h:script xmlns:h="http://www.w3.org/1999/xhtml">window.__pwned = 1;</h:script></package>"#;

#[test]
fn nuspec_with_xhtml_script_is_refused_and_package_bytes_are_never_active_content() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    let hostile = nuspec("Evil.Pkg", "1.0.0", "").replace("</package>", XHTML_NUSPEC_TAIL);
    let (status, text) = status_text(app.push(Some(&key), &nupkg_named(&hostile, "Evil.Pkg", &[])));
    assert_eq!(status, 400);
    assert!(
        text.contains("contains <h:script> in the namespace 'http://www.w3.org/1999/xhtml'; only the nuspec schema"),
        "{text}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM packages"), 0);

    app.push_ok(&key, "Fine.Pkg", "1.0.0");
    for (path, content_type, attachment) in [
        ("/v3/flatcontainer/fine.pkg/1.0.0/fine.pkg.nuspec", "text/plain; charset=utf-8", false),
        ("/v3/flatcontainer/fine.pkg/1.0.0/fine.pkg.1.0.0.nupkg", "application/octet-stream", true),
        ("/api/v2/package/Fine.Pkg/1.0.0", "application/octet-stream", true),
    ] {
        for _ in 0..2 {
            // The second request is answered from memory: the same headers either way.
            let r = app.get(path);
            assert_eq!(r.status(), 200, "{path}");
            let h = r.headers();
            assert_eq!(h["content-type"], content_type, "{path}");
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(h["content-security-policy"], "sandbox; default-src 'none'; frame-ancestors 'none'", "{path}");
            assert_eq!(h.get("content-disposition").is_some(), attachment, "{path}");
        }
    }
    let r = app
        .client
        .get(app.url("/v3/flatcontainer/fine.pkg/1.0.0/fine.pkg.1.0.0.nupkg"))
        .header("Range", "bytes=0-3")
        .send()
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
}

#[test]
fn an_svg_icon_is_served_as_a_download_never_as_an_image() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>window.__pwned=1</script></svg>"#;
    let nuspec = nuspec("Svg.Icon", "1.0.0", "<icon>icon.png</icon>");
    assert_eq!(app.push(Some(&key), &nupkg_named(&nuspec, "Svg.Icon", &[("icon.png", svg)])).status(), 201);
    let r = app.get("/v3/flatcontainer/svg.icon/1.0.0/icon");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    assert_eq!(r.headers()["content-disposition"], "attachment");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
}

#[test]
fn urls_that_are_not_absolute_http_are_refused_at_push() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    for (field, url) in [
        ("projectUrl", "javascript:alert(1)"),
        ("iconUrl", "data:image/svg+xml,x"),
        ("licenseUrl", "file:///etc/passwd"),
    ] {
        let pkg = nupkg_extra("Bad.Urls", "1.0.0", &format!("<{field}>{url}</{field}>"));
        let (status, text) = status_text(app.push(Some(&key), &pkg));
        assert_eq!(status, 400, "{field}");
        assert!(text.contains(&format!("The <{field}> '{url}' is not an absolute http or https URL")), "{text}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM packages"), 0);
}

#[test]
fn a_zip_bomb_with_a_lying_header_is_refused_and_nothing_is_stored() {
    let app = spawn_app_with(|c| c.publish.max_expanded_mb = 1);
    let (_, key) = app.user_with_key("alice");
    let mut bytes =
        nupkg_named(&nuspec("Zip.Bomb", "1.0.0", ""), "Zip.Bomb", &[("content/zeros.bin", &vec![0; 3 << 20])]);
    // Patch the declared uncompressed size of the bomb to 1,000 bytes in both headers.
    let name = b"content/zeros.bin";
    for (sig, size_at, name_at) in [(b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)] {
        let at = (0..bytes.len() - name_at - name.len())
            .find(|&i| &bytes[i..i + 4] == sig && &bytes[i + name_at..i + name_at + name.len()] == name)
            .unwrap();
        bytes[at + size_at..at + size_at + 4].copy_from_slice(&1000u32.to_le_bytes());
    }
    let (status, text) = status_text(app.push(Some(&key), &bytes));
    assert_eq!(
        (status, text.as_str()),
        (400, "The package is invalid: The package expands to more than 1048576 bytes.")
    );
    assert_eq!(app.stored(), (0, 0, 0));
}

#[test]
fn sign_in_redirects_only_to_paths_on_this_site() {
    let app = spawn_app();
    app.create_user("alice", false);
    for hostile in ["/%09/evil.example", "//evil.example", "/%5Cevil.example", "https://evil.example", "/%0d%0a/x"] {
        let r = app.get(&format!("/users/account/LogOn?returnUrl={hostile}"));
        let body = r.text().unwrap();
        // The form carries the home page on instead (where the sign-in will redirect).
        assert!(body.contains(r#"<input type="hidden" name="returnUrl" value="/">"#), "{hostile}: {body}");
    }
}

#[test]
fn private_mode_closes_registration_and_every_api_route() {
    let app = spawn_app_with(|c| c.feed.require_auth = true);
    let (_, key) = app.user_with_key("alice");
    assert_eq!(app.push(Some(&key), &nupkg("Secret.Pkg", "1.0.0")).status(), 201);
    let (status, text) = status_text(app.post_json(
        "/api/account/register",
        None,
        json!({ "username": "mallory", "email": "m@example.com", "password": "correct horse" }),
    ));
    assert_eq!(
        (status, text.as_str()),
        (403, "Registration is closed on this server; ask an administrator for an account.")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE username = 'mallory'"), 0);
    for path in
        ["/api/packages/Secret.Pkg/owners", "/api/packages/Unknown.Pkg/owners", "/api/orgs/anything", "/api/keys"]
    {
        let (status, text) = status_text(app.get(path));
        assert_eq!(status, 401, "{path}");
        assert_eq!(text, "This feed requires credentials: use an API key (or your password) as the password.");
    }
    let s = app.sign_in("alice");
    assert_eq!(app.get_as("/api/packages/Secret.Pkg/owners", &s).status(), 200);
    let r = app.client.get(app.url("/api/packages/Secret.Pkg/owners")).basic_auth("alice", Some(&key)).send().unwrap();
    assert_eq!(r.status(), 200);
    // A forged session cookie is not a session.
    let r = app.client.get(app.url("/api/packages/Secret.Pkg/owners")).header("Cookie", "galley_session=forged").send();
    assert_eq!(r.unwrap().status(), 401);
}

#[test]
fn private_mode_registration_when_allowed_needs_confirmation_before_reading() {
    let app = spawn_app_with(|c| {
        c.feed.require_auth = true;
        c.accounts.private_feed_registration = true;
    });
    let body = json!({ "username": "newbie", "email": "newbie@example.com", "password": "correct horse" });
    assert_eq!(app.post_json("/api/account/register", None, body).status(), 201);
    let read = || app.client.get(app.url("/v3/index.json")).basic_auth("newbie", Some("correct horse")).send().unwrap();
    let (status, text) = status_text(read());
    assert_eq!(
        (status, text.as_str()),
        (403, "Confirm your email address before reading this private feed: open the link we emailed you.")
    );
    let token = link_token(&app.wait_for_mail("newbie@example.com"), "/account/confirm-email");
    assert_eq!(app.post_json("/api/account/confirm-email", None, json!({ "token": token })).status(), 200);
    assert_eq!(read().status(), 200);
}

#[test]
fn approval_keeps_a_registered_account_disabled_until_an_administrator_enables_it() {
    let app = spawn_app_with(|c| c.accounts.require_approval = true);
    let body = json!({ "username": "waiting", "email": "waiting@example.com", "password": "correct horse" });
    let r: serde_json::Value = app.post_json("/api/account/register", None, body).json().unwrap();
    assert_eq!(r["awaiting_approval"], true);
    assert_eq!(app.count("SELECT is_disabled FROM users WHERE username = 'waiting'"), 1);
    let r = app.post_json("/api/account/signin", None, json!({ "username": "waiting", "password": "correct horse" }));
    assert_eq!(r.status(), 401);
}

#[test]
fn basic_credentials_on_the_feed_are_rate_limited_with_retry_after() {
    let app = spawn_app_with(|c| {
        c.feed.require_auth = true;
        c.accounts.login_max_failures = 3;
    });
    app.create_user("alice", false);
    let guess = |pw: &str| app.client.get(app.url("/v3/index.json")).basic_auth("alice", Some(pw)).send().unwrap();
    for i in 0..3 {
        assert_eq!(guess(&format!("wrong-{i}")).status(), 401, "guess {i}");
    }
    let r = guess("password-1");
    assert_eq!(r.status(), 429, "even the right password waits once the budget is used");
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    assert_eq!(r.text().unwrap(), "Too many failed sign-in attempts; try again in 15 minutes.");
}

#[test]
fn api_key_guessing_is_rate_limited_per_address() {
    let app = spawn_app_with(|c| c.accounts.login_max_failures = 1);
    let (_, key) = app.user_with_key("alice");
    // 20 × 1 failures from this address use its budget up.
    for i in 0..20 {
        assert_eq!(app.push(Some(&format!("guess-{i}")), &nupkg("A", "1.0.0")).status(), 403, "guess {i}");
    }
    let r = app.push(Some(&key), &nupkg("A", "1.0.0"));
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
}

#[test]
fn withdrawn_credentials_stop_working_on_the_next_request() {
    let app = spawn_app_with(|c| c.feed.require_auth = true);
    let (alice, key) = app.user_with_key("alice");
    let read = |user: &str, pw: &str| {
        app.client.get(app.url("/v3/index.json")).basic_auth(user, Some(pw)).send().unwrap().status().as_u16()
    };
    assert_eq!(read("ci", &key), 200);
    assert_eq!(read("ci", &key), 200, "remembered");
    let s = app.sign_in("alice");
    let keys: serde_json::Value = app.get_as("/api/keys", &s).json().unwrap();
    let key_id = keys[0]["id"].as_i64().unwrap();
    assert_eq!(app.delete_as(&format!("/api/keys/{key_id}"), &s).status(), 204);
    assert_eq!(read("ci", &key), 401, "a deleted key");

    assert_eq!(read("alice", "password-1"), 200);
    let r = app.post_json(
        "/api/account/password",
        Some(&s),
        json!({ "current_password": "password-1", "new_password": "another-password-2" }),
    );
    assert_eq!(r.status(), 204, "{:?}", r.text());
    assert_eq!(read("alice", "password-1"), 401, "the old password");
    assert_eq!(read("alice", "another-password-2"), 200);

    let second_secret = app.create_key(alice, "push", &[]);
    assert_eq!(read("ci", &second_secret), 200);
    galley::services::accounts::set_disabled(&app.state, "alice", true, "test").unwrap();
    assert_eq!(read("ci", &second_secret), 401, "a disabled account's key");
    assert_eq!(read("alice", "another-password-2"), 401, "a disabled account's password");
}

#[test]
fn failures_of_one_account_do_not_lock_others_behind_the_same_address() {
    let app = spawn_app_with(|c| c.accounts.login_max_failures = 3);
    app.create_user("alice", false);
    app.create_user("bob", false);
    let sign_in = |name: &str, pw: &str| {
        app.post_json("/api/account/signin", None, json!({ "username": name, "password": pw })).status().as_u16()
    };
    for _ in 0..3 {
        assert_eq!(sign_in("alice", "wrong"), 401);
    }
    assert_eq!(sign_in("alice", "password-1"), 429);
    assert_eq!(sign_in("bob", "password-1"), 200, "bob, same address, is not locked out");
}

#[test]
fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget() {
    let app = spawn_app_with(|c| {
        c.accounts.login_max_failures = 2;
        c.server.trusted_proxies = vec!["127.0.0.1/32".into()];
    });
    app.create_user("alice", false);
    let sign_in = |from: &str, pw: &str| {
        app.client
            .post(app.url("/api/account/signin"))
            .header("X-Forwarded-For", from)
            .json(&json!({ "username": "alice", "password": pw }))
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    for _ in 0..2 {
        assert_eq!(sign_in("198.51.100.1", "wrong"), 401);
    }
    assert_eq!(sign_in("198.51.100.1", "password-1"), 429);
    assert_eq!(sign_in("198.51.100.2", "password-1"), 200, "alice from another address behind the proxy");
    let audit = app.count("SELECT COUNT(*) FROM audit_log WHERE ip = '198.51.100.1'");
    assert_eq!(audit, 2, "the audit log records the forwarded address");
}

#[test]
fn registration_never_says_an_address_is_taken() {
    let app = spawn_app();
    app.create_user("alice", false);
    let body = json!({ "username": "someone", "email": "Alice@Example.com", "password": "correct horse" });
    let r = app.post_json("/api/account/register", None, body);
    assert_eq!(r.status(), 201);
    let answer: serde_json::Value = r.json().unwrap();
    assert_eq!(
        answer,
        json!({ "username": "someone", "email": "Alice@Example.com", "email_confirmed": false, "awaiting_approval": false })
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE username = 'someone'"), 0);
    let mail = app.wait_for_mail("alice@example.com");
    assert!(mail.contains("Subject: Someone tried to register with your email address"), "{mail}");
    let (status, text) = status_text(app.post_json(
        "/api/account/register",
        None,
        json!({ "username": "ALICE", "email": "new@example.com", "password": "correct horse" }),
    ));
    assert_eq!((status, text.as_str()), (409, "That username is already taken; choose another."));
}

#[test]
fn an_unlist_only_key_pushing_is_told_it_lacks_the_push_scope() {
    let app = spawn_app();
    let alice = app.create_user("alice", false);
    let key = app.create_key(alice, "unlist", &[]);
    let (status, text) = status_text(app.push(Some(&key), &nupkg("New.Id", "1.0.0")));
    assert_eq!(
        (status, text.as_str()),
        (403, "This API key is not allowed to push packages (it lacks the push scope).")
    );
}

#[test]
fn an_overlong_search_query_is_refused_with_a_reason() {
    let app = spawn_app();
    let long = "a".repeat(20_000);
    for path in
        [format!("/v3/query?q={long}"), format!("/api/v2/Search()?searchTerm='{long}'"), format!("/packages?q={long}")]
    {
        let (status, text) = status_text(app.get(&path));
        assert_eq!(status, 400, "{}", &path[..20]);
        assert!(text.contains("The search query is longer than 1000 characters; shorten it."), "{}", &path[..20]);
    }
    assert_eq!(app.get(&format!("/v3/query?q={}", "a".repeat(1000))).status(), 200);
}

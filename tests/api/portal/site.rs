//! What every page shares: security headers, hashed assets, error pages, navigation, the proxy
//! prefix and private feeds.
use super::{assert_contains, assert_lacks, find_url, html, page, push_ok, sql};
use crate::helpers::{nupkg, spawn_app, spawn_app_with};

#[test]
fn pages_carry_the_security_headers_and_feeds_keep_their_formats() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    push_ok(&app, &key, &nupkg("Acme.Core", "1.0.0"));
    for path in ["/", "/packages", "/packages/Acme.Core", "/packages/Nope", "/packages?page=abc", "/no/such/page"] {
        let p = page(&app, path);
        let header = |name: &str| p.headers.get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            header("content-security-policy").as_deref(),
            Some("default-src 'self'; img-src 'self' https: data:; script-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
            "{path}"
        );
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"), "{path}");
        assert_eq!(header("referrer-policy").as_deref(), Some("strict-origin-when-cross-origin"), "{path}");
        assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{path}");
        assert_eq!(header("content-type").as_deref(), Some("text/html; charset=utf-8"), "{path}");
        // No inline script or style anywhere: the policy forbids them.
        assert_lacks(&p.body, &["<script>", "<style", " style=", " onclick="]);
    }
    // Feed and API answers keep their own formats, errors included.
    let feed = app.get("/v3/index.json");
    assert!(feed.headers().get("content-security-policy").is_none());
    assert_eq!(feed.headers()["content-type"], "application/json");
    for path in ["/v3/flatcontainer/nope/index.json", "/api/v2/no-such-resource"] {
        let p = page(&app, path);
        assert_eq!(p.status, 404, "{path}");
        assert!(!p.headers.get("content-type").is_some_and(|t| t.to_str().unwrap().contains("html")), "{path}");
    }
}

#[test]
fn static_assets_are_served_by_content_hash_with_immutable_caching() {
    let app = spawn_app();
    let body = html(&app, "/");
    for (prefix, mime) in
        [("/static/app.", "text/css; charset=utf-8"), ("/static/logo.", "image/svg+xml; charset=utf-8")]
    {
        let url = find_url(&body, prefix);
        let r = app.get(&url);
        assert_eq!(r.status(), 200, "{url}");
        assert_eq!(r.headers()["cache-control"], "public, max-age=31536000, immutable");
        assert_eq!(r.headers()["content-type"], mime);
    }
    let js = body[body.find(r#"<script src=""#).unwrap() + 13..].split('"').next().unwrap().to_owned();
    let (stem, hash_and_ext) = js.split_at("/static/app.".len());
    assert_eq!(stem, "/static/app.");
    assert!(hash_and_ext.len() == 11 && hash_and_ext[..8].bytes().all(|b| b.is_ascii_hexdigit()), "{js}");
    let r = app.get(&js);
    assert_eq!(r.headers()["content-type"], "text/javascript; charset=utf-8");
    assert!(r.text().unwrap().contains("navigator.clipboard"));
    // Old, made-up or missing hashes are not served.
    for path in ["/static/app.00000000.css", "/static/app.css", "/static/nothing.js", "/static/../Cargo.toml"] {
        assert_eq!(app.get(path).status(), 404, "{path}");
    }
}

#[test]
fn unknown_packages_versions_and_pages_answer_the_404_page() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    push_ok(&app, &key, &nupkg("Acme.Core", "1.0.0"));
    push_ok(&app, &key, &nupkg("Acme.Core", "3.0.0"));
    // A version still being validated is not shown to anyone yet.
    sql(&app, "UPDATE package_versions SET status = 'validating' WHERE version_lower = '3.0.0'");
    for (path, message) in [
        ("/packages/Nope", "There is no package &#39;Nope&#39; on this server."),
        (
            "/packages/Acme.Core/9.9.9",
            "There is no version &#39;9.9.9&#39; of the package &#39;Acme.Core&#39; on this server.",
        ),
        ("/packages/Acme.Core/not-a-version", "There is no version &#39;not-a-version&#39;"),
        ("/packages/Acme.Core/3.0.0", "There is no version &#39;3.0.0&#39;"),
        ("/packages/Acme.Core/9.9.9/ReportAbuse", "There is no version &#39;9.9.9&#39;"),
        ("/packages/Acme.Core/1.0.0/License", "has no license file"),
        ("/profiles/nobody", "There is no account named &#39;nobody&#39; on this server."),
        ("/no/such/page", "The page you are looking for does not exist or was moved."),
    ] {
        let p = page(&app, path);
        assert_eq!(p.status, 404, "{path}");
        assert_eq!(p.headers["content-type"], "text/html; charset=utf-8", "{path}");
        assert_contains(
            &p.body,
            &["<h1 id=\"error-heading\">Page not found</h1>", message, r#"<a href="/packages">browse packages</a>"#],
        );
    }
    let body = html(&app, "/packages/Acme.Core");
    assert_contains(&body, &[r#"<span class="version">1.0.0</span>"#]);
    assert_lacks(&body, &["3.0.0", "Validating"]);
}

#[test]
fn navigation_pages_render() {
    let app = spawn_app();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let upload = super::forms::get_page(&app, "/packages/manage/upload", Some(&s)).text().unwrap();
    assert_contains(
        &upload,
        &[r#"<a href="/packages/manage/upload" aria-current="page">Upload</a>"#, r#"name="package" type="file""#],
    );
    let sign_in = html(&app, "/users/account/LogOn?returnUrl=%2F");
    assert_contains(&sign_in, &["<h1>Sign in</h1>"]);
    assert_contains(
        &html(&app, "/packages"),
        &[r#"<a href="/packages" aria-current="page">Packages</a>"#, "Skip to main content", r#"<main id="main""#],
    );
    // A method no page takes gets the HTML error page too (routes guard by method, so 404).
    let r = app.client.post(app.url("/packages")).send().unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().unwrap().contains("Error 404"));
}

#[test]
fn portal_links_keep_the_proxy_prefix() {
    let app = spawn_app_with(|c| c.base_url = "https://nuget.example.com/feed/".into());
    let (_, key) = app.user_with_key("alice");
    push_ok(&app, &key, &nupkg("Acme.Core", "1.0.0"));
    let body = html(&app, "/packages/Acme.Core");
    assert_contains(
        &body,
        &[
            r#"<link rel="stylesheet" href="/feed/static/app."#,
            r#"<a href="/feed/packages" aria-current="page">Packages</a>"#,
            r#"data-autocomplete="/feed/v3/autocomplete""#,
            r#"<a href="/feed/v3/flatcontainer/acme.core/1.0.0/acme.core.1.0.0.nupkg" download>"#,
            r#"<a href="/feed/profiles/alice">alice</a>"#,
            "dotnet nuget add source https://nuget.example.com/feed/v3/index.json",
        ],
    );
}

#[test]
fn a_private_feed_keeps_its_portal_pages_private() {
    let app = spawn_app_with(|c| c.feed.require_auth = true);
    let (_, key) = app.user_with_key("alice");
    push_ok(&app, &key, &nupkg("Acme.Secret", "1.0.0"));
    for path in ["/", "/packages?q=acme", "/packages/Acme.Secret", "/profiles/alice", "/no/such/page"] {
        let r = app.get(path);
        assert_eq!(r.status(), 401, "{path}");
        assert_eq!(r.headers()["www-authenticate"], "Basic realm=\"Galley\"", "{path}");
        assert!(!r.text().unwrap().contains("Acme.Secret"), "{path}");
    }
    let r = app.client.get(app.url("/packages/Acme.Secret")).basic_auth("alice", Some("password-1")).send().unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().unwrap();
    assert_contains(&body, &[">Acme.Secret</span>"]);
    // The stylesheet is no secret, and the 401 answer may need it.
    let css = find_url(&body, "/static/app.");
    assert_eq!(app.get(&css).status(), 200);
}

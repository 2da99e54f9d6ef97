//! The browser portal over HTTP: pages render the data, READMEs are sanitized, headers, assets,
//! search paging and sorting, and HTML error pages.
use crate::helpers::TestApp;

mod accounts;
mod admin;
mod contact;
mod email_links;
pub mod forms;
mod keys_owners;
mod listings;
mod oidc;
mod package_page;
mod settings;
mod site;
mod upload;
mod viewer;

struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

fn page(app: &TestApp, path: &str) -> Page {
    let r = app.get(path);
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    Page { status, headers, body: r.text().unwrap() }
}

/// The page at `path`, which must answer 200 with HTML.
fn html(app: &TestApp, path: &str) -> String {
    let p = page(app, path);
    assert_eq!(p.status, 200, "GET {path}: {}", p.body);
    assert_eq!(p.headers["content-type"], "text/html; charset=utf-8", "GET {path}");
    p.body
}

fn assert_contains(body: &str, fragments: &[&str]) {
    for f in fragments {
        assert!(body.contains(f), "missing {f:?} in:\n{body}");
    }
}

fn assert_lacks(body: &str, fragments: &[&str]) {
    for f in fragments {
        assert!(!body.contains(f), "unexpected {f:?} in:\n{body}");
    }
}

fn push_ok(app: &TestApp, key: &str, bytes: &[u8]) {
    let r = app.push(Some(key), bytes);
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
}

fn sql(app: &TestApp, statement: &str) {
    app.sql(statement);
}

/// The `href` of the first link starting with `prefix` (e.g. a hashed asset URL).
fn find_url(body: &str, prefix: &str) -> String {
    let start = body.find(prefix).unwrap_or_else(|| panic!("no {prefix} in {body}"));
    let end = body[start..].find('"').unwrap();
    body[start..start + end].to_owned()
}

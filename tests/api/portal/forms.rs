//! Helpers for the portal's HTML forms: a browser-like session (cookie + the page's hidden CSRF
//! field), form posts without following redirects.
use crate::helpers::{Session, TestApp};
use reqwest::blocking::Response;

pub fn get_page(app: &TestApp, path: &str, session: Option<&Session>) -> Response {
    let mut req = app.client.get(app.url(path));
    if let Some(s) = session {
        req = req.header("Cookie", &s.cookie);
    }
    req.send().unwrap()
}

/// Posts a form as a browser does: the cookie, and `csrf` in the body unless `None`.
pub fn post_form(
    app: &TestApp,
    path: &str,
    session: Option<&Session>,
    csrf: Option<&str>,
    fields: &[(&str, &str)],
) -> Response {
    let mut body: Vec<(String, String)> = fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    if let Some(c) = csrf {
        body.push(("csrf".into(), c.to_owned()));
    }
    let mut req = app.client.post(app.url(path)).form(&body);
    if let Some(s) = session {
        req = req.header("Cookie", &s.cookie);
    }
    req.send().unwrap()
}

/// A signed-in session's form post with its CSRF token.
pub fn post_as(app: &TestApp, path: &str, s: &Session, fields: &[(&str, &str)]) -> Response {
    post_form(app, path, Some(s), Some(&s.csrf), fields)
}

pub fn location(r: &Response) -> String {
    r.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// A 303 to `expected`.
pub fn assert_redirect(r: Response, expected: &str) {
    let status = r.status().as_u16();
    let to = location(&r);
    assert_eq!((status, to.as_str()), (303, expected), "{}", r.text().unwrap());
}

/// The `value` of the hidden input `name` on the page.
pub fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker).unwrap_or_else(|| panic!("no {name} in {body}")) + marker.len();
    body[start..start + body[start..].find('"').unwrap()].to_owned()
}

/// The field's error paragraph, as the form shows it next to the input.
pub fn field_error(field: &str, message: &str) -> String {
    format!("<p class=\"field-error\" id=\"f-{field}-error\">{message}</p>")
}

/// The portal's HTML-escaped form of a message (askama escapes quotes).
pub fn escaped(message: &str) -> String {
    message
        .replace('&', "&amp;")
        .replace('\'', "&#39;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A signed-out browser that opened the form at `path`: its pre-session cookie and the form's
/// hidden token (sign in, register and forgot password are bound to them).
pub fn anon(app: &TestApp, path: &str) -> Session {
    let r = get_page(app, path, None);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("galley_form="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .expect("a pre-session cookie");
    let body = r.text().unwrap();
    Session { cookie, csrf: hidden(&body, "csrf") }
}

//! `[accounts] require_2fa_for_publishers`: no new API key and no portal upload before 2FA is on;
//! keys issued earlier keep pushing.
use super::enrol;
use crate::helpers::{nupkg, spawn_app_with, status_text, TestApp};
use crate::portal::forms::{get_page, post_as};
use reqwest::blocking::multipart::{Form, Part};
use serde_json::json;

const REQUIRED: &str = "This server requires two-factor authentication before creating API keys or uploading: turn it on under Account settings, Two-factor authentication (/account/two-factor).";

fn strict() -> TestApp {
    spawn_app_with(|c| c.accounts.require_2fa_for_publishers = true)
}

#[test]
fn api_keys_are_refused_until_2fa_is_on() {
    let app = strict();
    let id = app.create_user("alice", false);
    let s = app.sign_in("alice");
    let body = json!({ "description": "ci", "scopes": ["push"] });
    let (status, text) = status_text(app.post_json("/api/keys", Some(&s), body.clone()));
    assert_eq!((status, text.as_str()), (403, REQUIRED));
    let r =
        post_as(&app, "/account/apikeys", &s, &[("description", "ci"), ("scopes", "push"), ("expires_in_days", "30")]);
    assert_eq!(r.status(), 400);
    let page = r.text().unwrap();
    assert!(page.contains(&format!("<p class=\"form-error\" role=\"alert\">{REQUIRED}</p>")), "{page}");
    assert!(page.contains("<a href=\"/account/two-factor\">Set up two-factor authentication</a>"), "{page}");
    assert_eq!(app.count("SELECT COUNT(*) FROM api_keys"), 0);
    // A key the operator issued (or one issued before the setting) still pushes.
    let key = app.create_key(id, "push", &["*"]);
    app.push_ok(&key, "Old.Key", "1.0.0");
    enrol(&app, &s);
    let (status, text) = status_text(app.post_json("/api/keys", Some(&s), body));
    assert_eq!(status, 201, "{text}");
}

#[test]
fn portal_upload_is_refused_until_2fa_is_on_and_nothing_is_held() {
    let app = strict();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let page = get_page(&app, "/packages/manage/upload", Some(&s)).text().unwrap();
    assert!(page.contains(REQUIRED), "{page}");
    assert!(!page.contains("name=\"package\""), "no file input: {page}");
    let upload = || {
        let form = Form::new()
            .text("csrf", s.csrf.clone())
            .part("package", Part::bytes(nupkg("Web.Upload", "1.0.0")).file_name("p.nupkg"));
        app.client.post(app.url("/packages/manage/upload")).header("Cookie", &s.cookie).multipart(form).send().unwrap()
    };
    let r = upload();
    assert_eq!(r.status(), 403);
    let body = r.text().unwrap();
    assert!(body.contains(&format!("<p class=\"form-error\" role=\"alert\" id=\"two-factor-required\">{REQUIRED}</p>")));
    assert!(body.contains("<a href=\"/account/two-factor\">Set up two-factor authentication</a>"), "{body}");
    assert!(!app.state.config.data_dir.join("tmp/portal-uploads").exists(), "nothing held");
    assert_eq!(app.count("SELECT COUNT(*) FROM package_versions"), 0);
    enrol(&app, &s);
    assert_eq!(upload().status(), 303, "allowed once 2FA is on");
}

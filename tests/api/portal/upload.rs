//! Upload through the portal: receive → verify details → submit or cancel, with the push's rules.
use super::forms::{assert_redirect, escaped, field_error, get_page, hidden, location, post_as};
use crate::helpers::{nupkg, nupkg_extra, spawn_app, Session, TestApp};
use reqwest::blocking::multipart::{Form, Part};

fn upload(app: &TestApp, s: &Session, csrf: &str, bytes: Vec<u8>) -> reqwest::blocking::Response {
    let form = Form::new().text("csrf", csrf.to_owned()).part("package", Part::bytes(bytes).file_name("p.nupkg"));
    app.client.post(app.url("/packages/manage/upload")).header("Cookie", &s.cookie).multipart(form).send().unwrap()
}

fn held_files(app: &TestApp) -> usize {
    let dir = app.state.config.data_dir.join("tmp/portal-uploads");
    walk(&dir)
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum())
}

/// Uploads and returns the verify page's URL and body.
fn uploaded(app: &TestApp, s: &Session, bytes: Vec<u8>) -> (String, String) {
    let r = upload(app, s, &s.csrf, bytes);
    assert_eq!(r.status(), 303, "{}", r.text().unwrap());
    let to = location(&r);
    assert!(to.starts_with("/packages/manage/upload/verify?upload="), "{to}");
    let body = get_page(app, &to, Some(s)).text().unwrap();
    (to, body)
}

#[test]
fn upload_verify_submit_publishes_like_a_push() {
    let app = spawn_app();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let deps = r#"<dependencies><group targetFramework="net6.0"><dependency id="Dep.A" version="1.2.0" /></group></dependencies>"#;
    let (_, body) = uploaded(&app, &s, nupkg_extra("Web.Upload", "1.0.0", deps));
    for f in [
        "<dd id=\"verify-id\">Web.Upload</dd>",
        "<dd id=\"verify-version\">1.0.0</dd>",
        "net6.0: Dep.A",
        "Submit",
        "Cancel",
    ] {
        assert!(body.contains(f), "{f}: {body}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM package_versions"), 0, "nothing published before Submit");
    let token = hidden(&body, "upload");
    assert_redirect(post_as(&app, "/packages/manage/upload/submit", &s, &[("upload", &token)]), "/packages/Web.Upload");
    assert_eq!(app.count("SELECT COUNT(*) FROM package_versions"), 1);
    assert_eq!(held_files(&app), 0, "the held file is gone once published");
    assert_eq!(app.get("/v3/flatcontainer/web.upload/index.json").status(), 200);
}

#[test]
fn verify_page_warns_about_foreign_ids_and_existing_versions_and_submit_refuses() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("owner");
    app.push_ok(&key, "Taken.Id", "1.0.0");
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let (_, body) = uploaded(&app, &s, nupkg("Taken.Id", "1.0.0"));
    assert!(body.contains(&escaped("The id 'Taken.Id' is owned by someone else")), "{body}");
    assert!(body.contains(&escaped("Version 1.0.0 of 'Taken.Id' already exists and cannot be modified.")), "{body}");
    let token = hidden(&body, "upload");
    let r = post_as(&app, "/packages/manage/upload/submit", &s, &[("upload", &token)]);
    assert_eq!(r.status(), 400);
    let page = r.text().unwrap();
    let refusal = "The package 'Taken.Id' is owned by another account; only its owners may push new versions of it.";
    assert!(page.contains(&format!(r#"<p class="form-error" role="alert">{}</p>"#, escaped(refusal))), "{page}");
    assert!(page.contains(r#"name="package" type="file""#), "the upload form is offered again: {page}");
    assert_eq!(app.count("SELECT COUNT(*) FROM package_versions"), 1);
    assert_eq!(held_files(&app), 0, "a refused submit leaves nothing held");
    assert_eq!(crate::upload_intake::tmp_files(&app), 0);
    let again = post_as(&app, "/packages/manage/upload/submit", &s, &[("upload", &token)]);
    assert_eq!(again.status(), 404);
}

#[test]
fn cancel_discards_the_held_upload() {
    let app = spawn_app();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let (to, body) = uploaded(&app, &s, nupkg("Web.Cancel", "1.0.0"));
    assert_eq!(held_files(&app), 1);
    assert_redirect(
        post_as(&app, "/packages/manage/upload/cancel", &s, &[("upload", &hidden(&body, "upload"))]),
        "/packages/manage/upload",
    );
    assert_eq!(held_files(&app), 0);
    assert_eq!(get_page(&app, &to, Some(&s)).status(), 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM package_versions"), 0);
}

#[test]
fn another_session_cannot_see_or_submit_the_upload() {
    let app = spawn_app();
    app.create_user("alice", false);
    app.create_user("mallory", false);
    let s = app.sign_in("alice");
    let (to, body) = uploaded(&app, &s, nupkg("Web.Mine", "1.0.0"));
    let m = app.sign_in("mallory");
    assert_eq!(get_page(&app, &to, Some(&m)).status(), 404);
    assert_eq!(
        post_as(&app, "/packages/manage/upload/submit", &m, &[("upload", &hidden(&body, "upload"))]).status(),
        404
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM package_versions"), 0);
}

#[test]
fn bad_uploads_are_reported_beside_the_file_field_and_nothing_is_held() {
    let app = spawn_app();
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let r = upload(&app, &s, &s.csrf, b"not a zip".to_vec());
    assert_eq!(r.status(), 400);
    let body = r.text().unwrap();
    assert!(body.contains("id=\"f-package-error\">The package is invalid:"), "{body}");
    let r = upload(&app, &s, &s.csrf, Vec::new());
    assert!(r.text().unwrap().contains(&field_error("package", "Choose a .nupkg file to upload.")));
    assert_eq!(upload(&app, &s, "forged", nupkg("Web.X", "1.0.0")).status(), 403);
    assert_eq!(held_files(&app), 0);
    assert_eq!(crate::upload_intake::tmp_files(&app), 0);
}

#[test]
fn oversize_wrong_type_and_file_less_uploads_say_so_and_leave_nothing() {
    let app = crate::helpers::spawn_app_with(|c| c.publish.max_package_mb = 1);
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let r = upload(&app, &s, &s.csrf, vec![0; 1024 * 1024 + 1]);
    assert_eq!(r.status(), 400);
    assert!(r
        .text()
        .unwrap()
        .contains(&field_error("package", "The package is larger than the server&#39;s limit of 1 MB.")));
    let form = Form::new().text("csrf", s.csrf.clone()).text("note", "no file here");
    let r =
        app.client.post(app.url("/packages/manage/upload")).header("Cookie", &s.cookie).multipart(form).send().unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains(&field_error("package", "Choose a .nupkg file to upload.")));
    let r = app
        .client
        .post(app.url("/packages/manage/upload"))
        .header("Cookie", &s.cookie)
        .header("Content-Type", "application/octet-stream")
        .body(nupkg("Web.Raw", "1.0.0"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let expected =
        "The upload has Content-Type &#39;application/octet-stream&#39;; send the .nupkg as multipart/form-data.";
    assert!(r.text().unwrap().contains(&field_error("package", expected)));
    assert_eq!(app.count("SELECT COUNT(*) FROM package_versions"), 0);
    assert_eq!(crate::upload_intake::tmp_files(&app), 0);
}

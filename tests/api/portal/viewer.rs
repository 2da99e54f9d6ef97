//! Owners and administrators see the validation status of versions nobody else may see.
use super::forms::get_page;
use crate::helpers::spawn_app;

#[test]
fn owners_and_admins_see_failed_versions_with_their_status() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push_ok(&key, "Hidden.Pkg", "1.0.0");
    app.push_ok(&key, "Hidden.Pkg", "2.0.0");
    app.sql("UPDATE package_versions SET status = 'failed' WHERE version_normalized = '2.0.0'");
    app.create_user("root", true);
    app.create_user("eve", false);
    assert_eq!(get_page(&app, "/packages/Hidden.Pkg/2.0.0", None).status(), 404);
    assert_eq!(get_page(&app, "/packages/Hidden.Pkg/2.0.0", Some(&app.sign_in("eve"))).status(), 404);
    for who in ["alice", "root"] {
        let r = get_page(&app, "/packages/Hidden.Pkg/2.0.0", Some(&app.sign_in(who)));
        assert_eq!(r.status(), 200, "{who}");
        assert!(r.text().unwrap().contains("This package failed validation."), "{who}");
    }
}

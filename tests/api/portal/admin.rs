//! The admin page: only administrators; users, support requests and held versions.
use super::forms::{assert_redirect, get_page, post_as, post_form};
use crate::helpers::spawn_app;

#[test]
fn admin_page_is_for_administrators_and_acts_through_the_services() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push_ok(&key, "Admin.Pkg", "1.0.0");
    app.push_ok(&key, "Admin.Pkg", "2.0.0");
    app.sql("UPDATE package_versions SET status = 'quarantined', status_reason = 'Eicar-Test-Signature' WHERE version_normalized = '2.0.0'");
    app.create_user("root", true);
    app.create_user("bob", false);
    let bob = app.sign_in("bob");
    assert_eq!(get_page(&app, "/admin", Some(&bob)).status(), 403);
    assert_eq!(get_page(&app, "/admin", None).status(), 303);
    let fields = [("kind", "ownership-recovery"), ("package_id", "Admin.Pkg"), ("message", "Please.")];
    assert_eq!(post_as(&app, "/contact/send", &bob, &fields).status(), 200);
    let root = app.sign_in("root");
    let page = get_page(&app, "/admin", Some(&root)).text().unwrap();
    for f in ["Eicar-Test-Signature", "<td>bob</td>", "Please.", "Available versions</dt><dd>1</dd>", "signin"] {
        assert!(page.contains(f), "{f}: {page}");
    }
    assert!(get_page(&app, "/admin/support", Some(&root)).status().is_success());
    let request = app.count("SELECT id FROM support_requests");
    assert_eq!(
        post_form(&app, &format!("/admin/support/{request}"), Some(&root), None, &[("action", "add-owner")]).status(),
        403
    );
    assert_eq!(post_as(&app, &format!("/admin/support/{request}"), &bob, &[("action", "add-owner")]).status(), 403);
    assert_redirect(post_as(&app, &format!("/admin/support/{request}"), &root, &[("action", "add-owner")]), "/admin");
    assert_eq!(app.count("SELECT COUNT(*) FROM package_owners"), 2);
    assert_redirect(post_as(&app, &format!("/admin/support/{request}"), &root, &[("action", "close")]), "/admin");
    assert_redirect(post_as(&app, "/admin/users/bob", &root, &[("action", "disable")]), "/admin");
    assert_eq!(app.count("SELECT is_disabled FROM users WHERE username = 'bob'"), 1);
    assert_redirect(post_as(&app, "/admin/users/bob", &root, &[("action", "make-admin")]), "/admin");
    assert_eq!(app.count("SELECT is_admin FROM users WHERE username = 'bob'"), 1);
    let own = post_as(&app, "/admin/users/root", &root, &[("action", "disable")]);
    assert_eq!(own.status(), 409);
}

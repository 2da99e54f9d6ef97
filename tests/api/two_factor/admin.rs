//! The administrator's reset of a user's 2FA: from the admin page and with `galley user reset-2fa`,
//! audited; refused to anyone else.
use super::{code, enrol};
use crate::helpers::{galley_command, spawn_app};
use crate::portal::forms::{assert_redirect, post_as};
use galley::config::Config;
use galley::services::{accounts, principals, two_factor};
use galley::state::AppState;

#[test]
fn an_administrator_resets_a_users_2fa_from_the_admin_page_audited() {
    let app = spawn_app();
    app.create_user("root", true);
    app.create_user("bob", false);
    let bob = app.sign_in("bob");
    enrol(&app, &bob);
    // Another user may not.
    app.create_user("eve", false);
    let eve = app.sign_in("eve");
    let r = post_as(&app, "/admin/users/bob", &eve, &[("action", "reset-2fa")]);
    assert_eq!(r.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor"), 1);
    let root = app.sign_in("root");
    assert_redirect(post_as(&app, "/admin/users/bob", &root, &[("action", "reset-2fa")]), "/admin");
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM two_factor_recovery"), 0);
    let audited =
        "SELECT COUNT(*) FROM audit_log WHERE action = '2fa.reset' AND actor_name = 'root' AND detail = 'bob'";
    assert_eq!(app.count(audited), 1);
    // Bob signs in with the password alone again.
    app.sign_in("bob");
    // Nothing left to reset.
    let r = post_as(&app, "/admin/users/bob", &root, &[("action", "reset-2fa")]);
    assert_eq!(r.status(), 409);
    assert!(r.text().unwrap().contains("&#39;bob&#39; has no two-factor authentication to reset."));
    assert_eq!(app.count(audited), 1);
}

#[test]
fn galley_user_reset_2fa_resets_and_audits() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let mut config = Config { data_dir: data.clone(), ..Config::default() };
        config.accounts.bcrypt_cost = 4;
        let state = AppState::open(config).unwrap();
        let conn = state.conn().unwrap();
        let new =
            accounts::NewAccount { username: "bob", email: "bob@example.com", password: "password-1", is_admin: false };
        let id = accounts::create_user(&conn, &new, 4).unwrap();
        let user = galley::db::users::by_id(&conn, id).unwrap().unwrap();
        let secret = two_factor::enrolment(&conn, &user).unwrap().secret_base32;
        let p = principals::for_user(&conn, &user, &state.config.accounts).unwrap();
        two_factor::confirm_enrolment(&conn, &p, &code(&secret, 0), None, state.clock.now()).unwrap();
    }
    let run =
        |name: &str| galley_command().args(["user", "reset-2fa", name, "--data-dir"]).arg(&data).output().unwrap();
    let out = run("bob");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Two-factor authentication of bob was reset; it signs in with the password alone.\n"
    );
    let out = run("nobody");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("There is no user named 'nobody'."));
    let conn = rusqlite::Connection::open(data.join("galley.db")).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(count("SELECT COUNT(*) FROM two_factor"), 0);
    assert_eq!(
        count("SELECT COUNT(*) FROM audit_log WHERE action = '2fa.reset' AND actor_name = 'cli' AND detail = 'bob'"),
        1
    );
}

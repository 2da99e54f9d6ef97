//! The contact form and the package's Report abuse form file support requests.
use super::forms::{escaped, field_error, get_page, post_as, post_form};
use crate::helpers::spawn_app;

#[test]
fn contact_page_files_an_ownership_request_and_shows_errors_beside_fields() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push_ok(&key, "Lost.Pkg", "1.0.0");
    assert!(get_page(&app, "/contact?package=Lost.Pkg", None).text().unwrap().contains("value=\"Lost.Pkg\""));
    let cases = [
        (
            ("ownership-recovery", "Lost.Pkg", "", "me@example.com"),
            "message",
            "Describe the request in 1 to 5000 characters.".to_owned(),
        ),
        (
            ("ownership-recovery", "", "please", "me@example.com"),
            "package_id",
            "Name the package whose ownership you ask for.".to_owned(),
        ),
        (
            ("ownership-recovery", "No.Such", "please", "me@example.com"),
            "package_id",
            escaped("There is no package 'No.Such' on this server."),
        ),
        (
            ("other", "", "hello", ""),
            "email",
            "Give an email address where the administrators can answer you.".to_owned(),
        ),
    ];
    for ((kind, package, message, email), field, shown) in cases {
        let fields = [("kind", kind), ("package_id", package), ("message", message), ("email", email)];
        let r = post_form(&app, "/contact/send", None, None, &fields);
        assert_eq!(r.status(), 400, "{shown}");
        let body = r.text().unwrap();
        assert!(body.contains(&field_error(field, &shown)), "{shown}: {body}");
        assert!(message.is_empty() || body.contains(&format!(">{message}</textarea>")), "keeps the message");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM support_requests"), 0);
    let fields = [
        ("kind", "ownership-recovery"),
        ("package_id", "Lost.Pkg"),
        ("message", "The owner left."),
        ("email", "me@example.com"),
    ];
    let r = post_form(&app, "/contact/send", None, None, &fields);
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("id=\"filed\""));
    assert_eq!(app.count("SELECT COUNT(*) FROM support_requests"), 1);
    // Signed in: the session's token is required, and the account's address is used.
    app.create_user("bob", false);
    let s = app.sign_in("bob");
    assert_eq!(post_form(&app, "/contact/send", Some(&s), None, &fields[..3]).status(), 403);
    assert_eq!(post_as(&app, "/contact/send", &s, &fields[..3]).status(), 200);
    assert_eq!(app.count("SELECT COUNT(*) FROM support_requests"), 2);
}

#[test]
fn report_abuse_files_a_request_about_the_version() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push_ok(&key, "Bad.Pkg", "1.0.0");
    let page = get_page(&app, "/packages/Bad.Pkg/1.0.0/ReportAbuse", None).text().unwrap();
    assert!(page.contains("Report package Bad.Pkg 1.0.0") && page.contains("<textarea"), "{page}");
    let r = post_form(
        &app,
        "/packages/Bad.Pkg/1.0.0/ReportAbuse",
        None,
        None,
        &[("message", ""), ("email", "r@example.com")],
    );
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains(&field_error("message", "Describe the request in 1 to 5000 characters.")));
    let r = post_form(
        &app,
        "/packages/Bad.Pkg/1.0.0/ReportAbuse",
        None,
        None,
        &[("message", "It mines coins."), ("email", "r@example.com")],
    );
    assert_eq!(r.status(), 200);
    assert_eq!(app.count("SELECT COUNT(*) FROM support_requests WHERE package_id = 'Bad.Pkg' AND message LIKE 'Report abuse of Bad.Pkg 1.0.0:%It mines coins.'"), 1);
}

//! OIDC sign-in, the parts that need no provider: the buttons, a provider that is down,
//! and callbacks refused before any provider is asked (state unknown, from another browser,
//! expired, used twice). The flows through a real provider are `tests/oidc/run.py`.
use super::forms::{anon, escaped, get_page, post_form};
use crate::helpers::{spawn_app_with, Session, TestApp};
use galley::config::OidcConfig;
use galley::db::oidc::{self, PendingLogin};
use galley::domain::token;
use galley::services::oidc_signin::STALE;

/// A provider on a loopback port nothing listens on.
fn app() -> (TestApp, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let issuer = format!("http://127.0.0.1:{port}");
    let provider = OidcConfig {
        name: "corp".into(),
        issuer: issuer.clone(),
        client_id: "galley".into(),
        client_secret: "s".into(),
        ..OidcConfig::default()
    };
    (spawn_app_with(|c| c.oidc = vec![provider]), issuer)
}

fn count(app: &TestApp, table: &str) -> i64 {
    app.count(&format!("SELECT count(*) FROM {table}"))
}

fn nothing_stored(app: &TestApp) {
    assert_eq!((count(app, "users"), count(app, "sessions")), (0, 0));
}

/// A sign-in under way, started in the browser whose pre-session cookie is `browser`.
fn pending(app: &TestApp, state: &str, browser: &Session, expires_at: &str) {
    let value = browser.cookie.strip_prefix("galley_form=").unwrap();
    let login = PendingLogin {
        provider: "corp".into(),
        browser_hash: token::hash(value),
        nonce: "n".into(),
        pkce_verifier: "v".repeat(43),
        return_url: "/".into(),
        link_user_id: None,
        expires_at: expires_at.into(),
    };
    oidc::insert_login(&app.db(), &token::hash(state), &login).unwrap();
}

fn callback(app: &TestApp, browser: Option<&Session>, query: &str) -> (u16, String) {
    let r = get_page(app, &format!("/users/account/oidc/corp/callback{query}"), browser);
    assert!(r.headers().get("set-cookie").is_none_or(|c| !c.to_str().unwrap().starts_with("galley_session=")));
    (r.status().as_u16(), r.text().unwrap())
}

#[test]
fn the_sign_in_page_has_a_button_per_provider_and_a_provider_that_is_down_answers_503() {
    let (app, issuer) = app();
    let browser = anon(&app, "/users/account/LogOn");
    let page = get_page(&app, "/users/account/LogOn", Some(&browser)).text().unwrap();
    assert!(page.contains("action=\"/users/account/oidc/corp\""), "{page}");
    assert!(page.contains("<button type=\"submit\">Sign in with corp</button>"), "{page}");
    let r = post_form(&app, "/users/account/oidc/corp", Some(&browser), Some(&browser.csrf), &[("returnUrl", "/")]);
    assert_eq!(r.status(), 503);
    let message = format!(
        "corp cannot be reached now (discovery at {issuer} failed); try again later or sign in with a password."
    );
    assert!(r.text().unwrap().contains(&escaped(&message)));
    let r = post_form(&app, "/users/account/oidc/corp", Some(&browser), None, &[("returnUrl", "/")]);
    assert_eq!(r.status(), 403);
    let r = post_form(&app, "/users/account/oidc/nope", Some(&browser), Some(&browser.csrf), &[]);
    assert_eq!(r.status(), 404);
    assert!(r.text().unwrap().contains(&escaped("There is no sign-in provider named 'nope'.")));
    assert_eq!(count(&app, "oidc_logins"), 0);
    nothing_stored(&app);
}

#[test]
fn callbacks_without_a_live_sign_in_of_this_browser_are_refused_and_use_it_up() {
    let (app, _) = app();
    let (mine, other) = (anon(&app, "/users/account/LogOn"), anon(&app, "/users/account/LogOn"));
    let stale = escaped(STALE);
    for query in ["", "?code=c", "?code=c&state=", "?code=c&state=unknown"] {
        let (status, body) = callback(&app, Some(&mine), query);
        assert_eq!(status, 400, "{query}");
        assert!(body.contains(&stale), "{query}: {body}");
    }
    // Another browser presents this browser's state: refused, and the state is spent.
    pending(&app, "state-1", &mine, "2999-01-01T00:00:00Z");
    let (status, body) = callback(&app, Some(&other), "?code=c&state=state-1");
    assert_eq!((status, body.contains(&stale)), (400, true));
    let (status, _) = callback(&app, Some(&mine), "?code=c&state=state-1");
    assert_eq!(status, 400);
    // No pre-session cookie at all, and a sign-in whose time is up.
    pending(&app, "state-2", &mine, "2999-01-01T00:00:00Z");
    assert_eq!(callback(&app, None, "?code=c&state=state-2").0, 400);
    pending(&app, "state-3", &mine, "2000-01-01T00:00:00Z");
    assert_eq!(callback(&app, Some(&mine), "?code=c&state=state-3").0, 400);
    // The provider's own refusal ends the sign-in too, with its error code in the message.
    pending(&app, "state-4", &mine, "2999-01-01T00:00:00Z");
    let (status, body) = callback(&app, Some(&mine), "?error=access_denied&state=state-4");
    assert_eq!(status, 403);
    assert!(body.contains(&escaped("corp did not sign you in (access_denied).")), "{body}");
    assert_eq!(count(&app, "oidc_logins"), 0);
    nothing_stored(&app);
}

//! Two-factor authentication: enrolment, the second sign-in step (portal and JSON API), every
//! refusal with its exact status and message, `require_2fa_for_publishers`, and the
//! administrator's reset. Codes are computed here from the secret the page shows.
use crate::helpers::{Session, TestApp};
use crate::portal::forms::{get_page, post_as};
use totp_rs::{Algorithm, Secret, TOTP};

mod admin;
mod enrolment;
mod publishers;
mod sign_in;

/// The 6-digit code of `secret` (base32, as the page shows it) `offset` steps from now.
pub fn code(secret: &str, offset: i64) -> String {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    let totp = TOTP::new_unchecked(Algorithm::SHA1, 6, 0, 30, bytes, None, String::new());
    let now = chrono::Utc::now().timestamp() + offset * 30;
    totp.generate(u64::try_from(now).unwrap())
}

/// The text between `start` and the next `<` on the page.
pub fn text_after(body: &str, start: &str) -> String {
    let at = body.find(start).unwrap_or_else(|| panic!("no {start} in {body}")) + start.len();
    body[at..at + body[at..].find('<').unwrap()].to_owned()
}

/// The secret shown on the enrolment page.
pub fn shown_secret(app: &TestApp, s: &Session) -> String {
    let body = get_page(app, "/account/two-factor", Some(s)).text().unwrap();
    assert!(body.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""), "an inline QR code: {body}");
    text_after(&body, "<code id=\"two-factor-secret\">")
}

/// What enrolment gave: the secret, the recovery codes and the code that confirmed it (spent).
pub struct Enrolled {
    pub secret: String,
    pub recovery: Vec<String>,
    pub used: String,
}

/// Enrols the signed-in account with the current code.
pub fn enrol(app: &TestApp, s: &Session) -> Enrolled {
    let secret = shown_secret(app, s);
    let used = code(&secret, 0);
    let r = post_as(app, "/account/two-factor/confirm", s, &[("code", &used)]);
    assert_eq!(r.status(), 200);
    let body = r.text().unwrap();
    let list = text_after(&body, "<ul id=\"recovery-codes\">");
    assert!(list.is_empty(), "the list starts with its items");
    let codes: Vec<String> =
        body.split("<li><code>").skip(1).map(|part| part[..part.find('<').unwrap()].to_owned()).collect();
    assert_eq!(codes.len(), 10, "{body}");
    Enrolled { secret, recovery: codes, used }
}

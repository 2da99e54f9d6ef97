//! "Confirm your email address": after registration and after a change of address.
use super::FOOTER;
use crate::mail::Email;

pub fn render(to: &str, username: &str, link: &str, hours: u32) -> Email {
    Email {
        to: to.to_owned(),
        subject: "Confirm your email address".into(),
        body: format!(
            "Hello {username},\n\nPlease confirm that {to} is your email address by opening this link:\n\n{link}\n\n\
             The link works once and expires in {hours} hours.\n{FOOTER}"
        ),
    }
}

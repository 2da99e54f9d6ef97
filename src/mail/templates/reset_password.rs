//! "Reset your password".
use super::FOOTER;
use crate::mail::Email;

pub fn render(to: &str, username: &str, link: &str, hours: u32) -> Email {
    Email {
        to: to.to_owned(),
        subject: "Reset your password".into(),
        body: format!(
            "Hello {username},\n\nSomeone (hopefully you) asked to reset the password of the account {username}.\n\
             To choose a new password, open this link:\n\n{link}\n\n\
             The link works once and expires in {hours} hours. If you did not ask for this, ignore this message:\n\
             your password stays as it is.\n{FOOTER}"
        ),
    }
}

//! "Someone tried to register with your address": sent instead of telling the registering
//! visitor that the address is taken, so registration never reveals which addresses have accounts.
use super::FOOTER;
use crate::mail::Email;

pub fn render(to: &str, existing_username: &str, attempted_username: &str, forgot_url: &str) -> Email {
    Email {
        to: to.to_owned(),
        subject: "Someone tried to register with your email address".into(),
        body: format!(
            "Hello {existing_username},\n\nSomeone (perhaps you) tried to register a new account named \
             '{attempted_username}' with this email address, which already belongs to your account \
             {existing_username}. No new account was created.\n\n\
             If you have forgotten your password, you can choose a new one here:\n\n{forgot_url}\n\n\
             If it was not you, you can ignore this message: your account is unchanged.\n{FOOTER}"
        ),
    }
}

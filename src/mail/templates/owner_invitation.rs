//! "You are invited to become an owner of a package".
use super::FOOTER;
use crate::mail::Email;

pub struct Invitation<'a> {
    pub to: &'a str,
    pub invitee: &'a str,
    pub inviter: &'a str,
    pub package_id: &'a str,
    pub link: &'a str,
    pub days: u32,
}

pub fn render(i: &Invitation<'_>) -> Email {
    Email {
        to: i.to.to_owned(),
        subject: format!("Invitation to become an owner of {}", i.package_id),
        body: format!(
            "Hello {invitee},\n\n{inviter} invites {invitee} to become an owner of the package {id}.\n\
             Owners may publish new versions, unlist versions and manage the package's owners.\n\n\
             To accept or decline, sign in as {invitee} and open this link:\n\n{link}\n\n\
             The invitation works once and expires in {days} days.\n{FOOTER}",
            invitee = i.invitee,
            inviter = i.inviter,
            id = i.package_id,
            link = i.link,
            days = i.days,
        ),
    }
}

//! "New support request" to the administrators.
use super::FOOTER;
use crate::mail::Email;

pub struct Request<'a> {
    pub to: &'a str,
    pub id: i64,
    pub kind: &'a str,
    pub package_id: Option<&'a str>,
    pub contact_email: &'a str,
    pub username: Option<&'a str>,
    pub message: &'a str,
    pub admin_link: &'a str,
}

pub fn render(r: &Request<'_>) -> Email {
    Email {
        to: r.to.to_owned(),
        subject: format!("Support request #{}: {}{}", r.id, r.kind, r.package_id.map(|p| format!(" for {p}")).unwrap_or_default()),
        body: format!(
            "A support request was filed.\n\nRequest:  #{id}\nType:     {kind}\nPackage:  {package}\nAccount:  {account}\n\
             Contact:  {contact}\n\nMessage:\n{message}\n\nReview open requests at {link}\n{FOOTER}",
            id = r.id,
            kind = r.kind,
            package = r.package_id.unwrap_or("-"),
            account = r.username.unwrap_or("-"),
            contact = r.contact_email,
            message = r.message,
            link = r.admin_link,
        ),
    }
}

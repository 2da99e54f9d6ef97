//! SMTP transport (lettre). The URL picks the security: `smtp://` plain (or STARTTLS with
//! `?tls=required`/`?tls=opportunistic`), `smtps://` implicit TLS; credentials in the URL.
use super::{build, Email, MailError, Mailer};
use lettre::message::Mailbox;
use lettre::{SmtpTransport, Transport};
use std::time::Duration;

pub struct SmtpMailer {
    transport: SmtpTransport,
    from: Mailbox,
    /// The URL without credentials, for logs.
    display: String,
}

impl SmtpMailer {
    pub fn new(url: &str, from: Mailbox, timeout: Duration) -> Result<Self, MailError> {
        let transport =
            SmtpTransport::from_url(url).map_err(|e| MailError::Smtp(e.to_string()))?.timeout(Some(timeout)).build();
        let display = match url.split_once('@') {
            Some((scheme_and_user, host)) => {
                format!("{}://…@{host}", scheme_and_user.split("://").next().unwrap_or("smtp"))
            }
            None => url.to_owned(),
        };
        Ok(Self { transport, from, display })
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, email: &Email) -> Result<(), MailError> {
        let message = build(&self.from, email)?;
        self.transport.send(&message).map(|_| ()).map_err(|e| MailError::Smtp(e.to_string()))
    }

    fn describe(&self) -> String {
        format!("SMTP {}", self.display)
    }
}

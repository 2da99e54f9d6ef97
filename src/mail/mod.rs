//! Outgoing email behind the `Mailer` trait: SMTP via lettre, or `.eml` files in an outbox folder
//! when no SMTP server is configured (a fresh install works, and tests read the links there).
//! Services hand messages to the `Postman`, which sends them on its own thread.
pub mod outbox;
pub mod postman;
pub mod smtp;
pub mod templates;

use crate::config::Config;
use lettre::message::header::ContentType;
use lettre::message::{Body, Mailbox};
use lettre::Message;
use std::sync::Arc;

/// One plain-text message to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("'{0}' is not a valid email address")]
    Address(String),
    #[error("the message could not be built: {0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Smtp(String),
    #[error("the outbox folder: {0}")]
    Io(#[from] std::io::Error),
}

/// A transport. Blocking: only the postman's thread calls `send`.
pub trait Mailer: Send + Sync {
    fn send(&self, email: &Email) -> Result<(), MailError>;
    /// Where mail goes, for the start-up log.
    fn describe(&self) -> String;
}

/// The transport the configuration asks for.
pub fn from_config(config: &Config) -> Result<Arc<dyn Mailer>, MailError> {
    let from: Mailbox = config.mail.from.parse().map_err(|_| MailError::Address(config.mail.from.clone()))?;
    let url = config.mail.smtp_url.trim();
    if url.is_empty() {
        Ok(Arc::new(outbox::OutboxMailer::new(config.outbox_dir(), from)?))
    } else {
        let timeout = std::time::Duration::from_secs(config.mail.timeout_seconds.max(1));
        Ok(Arc::new(smtp::SmtpMailer::new(url, from, timeout)?))
    }
}

/// Builds the MIME message both transports send. Plain ASCII bodies go out as 7bit, so the
/// links in them stay whole and readable in the raw message: lettre would pick quoted-printable
/// for any line over 76 characters, splitting a link and turning its `=` into `=3D`.
pub fn build(from: &Mailbox, email: &Email) -> Result<Message, MailError> {
    let to: Mailbox = email.to.parse().map_err(|_| MailError::Address(email.to.clone()))?;
    let text = email.body.replace("\r\n", "\n").replace('\n', "\r\n");
    // RFC 5322 allows 998 characters a line in 7bit; anything else gets lettre's own choice.
    let seven_bit =
        text.is_ascii() && !text.contains('\0') && text.split("\r\n").all(|l| l.len() <= 998 && !l.contains('\r'));
    let body = if seven_bit {
        Body::dangerous_pre_encoded(text.into_bytes(), lettre::message::header::ContentTransferEncoding::SevenBit)
    } else {
        Body::new(text)
    };
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| MailError::Build(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_bodies_keep_their_links_readable() {
        let from: Mailbox = "Galley <g@example.com>".parse().unwrap();
        let email = Email {
            to: "a@example.com".into(),
            subject: "Hi".into(),
            body: "Open http://x/confirm?token=abc\n".into(),
        };
        let text = String::from_utf8(build(&from, &email).unwrap().formatted()).unwrap();
        assert!(text.contains("To: a@example.com"), "{text}");
        assert!(text.contains("http://x/confirm?token=abc"), "{text}");
        let bad = Email { to: "nobody".into(), ..email };
        assert_eq!(build(&from, &bad).unwrap_err().to_string(), "'nobody' is not a valid email address");
    }
}

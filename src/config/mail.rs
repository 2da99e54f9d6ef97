//! `[mail]`: where outgoing mail goes and who sends it.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// `smtp://host:port` (plain, or STARTTLS with `?tls=required`), `smtps://host:port` (TLS);
    /// credentials as `smtp://user:password@host`. Empty = write `.eml` files to `<data-dir>/outbox/`.
    pub smtp_url: String,
    /// Sender of every message, e.g. `Galley <galley@example.com>`.
    pub from: String,
    /// How long one SMTP conversation may take before the send counts as failed.
    pub timeout_seconds: u64,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self { smtp_url: String::new(), from: "Galley <galley@localhost>".into(), timeout_seconds: 30 }
    }
}

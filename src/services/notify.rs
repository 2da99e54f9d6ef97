//! Hands emails to the postman and keeps a record of each: a send failure never fails the action
//! that caused it (the change is already committed), but it is logged and recorded in `mail_log`
//! where admins see it (GET /api/admin/mail).
use crate::config::Config;
use crate::db::sql::Sql;
use crate::db::{self, Database};
use crate::error::AppError;
use crate::mail::{self, postman::Postman, templates, Email};
use crate::scan::notify::{NoticePackage, Notifier, Recipient};
use crate::state::AppState;
use std::sync::Arc;

/// Starts the mail thread with the configured transport; outcomes are written to `mail_log`.
pub fn start_postman(config: &Config, db: Database) -> anyhow::Result<Postman> {
    let mailer = mail::from_config(config)?;
    let done: mail::postman::Done = Box::new(move |id, result| {
        let error = result.as_ref().err().map(ToString::to_string);
        match &error {
            None => tracing::info!(mail_id = id, "mail sent"),
            Some(e) => tracing::error!(mail_id = id, error = %e, "sending mail failed"),
        }
        let recorded = db.connection().and_then(|conn| db::mail_log::finish(&conn, id, error.as_deref()));
        if let Err(e) = recorded {
            tracing::error!(mail_id = id, error = %e, "recording the mail outcome failed");
        }
    });
    Ok(Postman::start(mailer, done)?)
}

/// Records the message and queues it for sending; returns at once. Runs on the caller's
/// connection, outside a transaction: inside one, use `record` and post after the commit.
pub(crate) fn send(conn: &dyn Sql, postman: &Postman, kind: &str, email: Email) -> Result<(), AppError> {
    record(conn, kind, email)?.post(postman);
    Ok(())
}

/// A message recorded in `mail_log` by a transaction and not queued yet: the service posts it
/// once the transaction committed, so a change rolled back never sends its mail.
#[must_use = "post it once the transaction committed"]
pub(crate) struct Outgoing {
    id: i64,
    email: Email,
}

/// Records the message on the caller's connection (inside its transaction); `Outgoing::post`
/// queues it after the commit.
pub(crate) fn record(conn: &dyn Sql, kind: &str, email: Email) -> Result<Outgoing, AppError> {
    let id = db::mail_log::insert(conn, kind, &email.to, &email.subject)?;
    Ok(Outgoing { id, email })
}

impl Outgoing {
    pub(crate) fn post(self, postman: &Postman) {
        postman.post(self.id, self.email);
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct MailView {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub status: String,
    pub error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

/// Recent outgoing mail for administrators (e.g. `status = "failed"`).
pub fn list(state: &AppState, status: Option<&str>) -> Result<Vec<MailView>, AppError> {
    Ok(db::mail_log::list(&state.conn()?, status)?
        .into_iter()
        .map(|m| MailView {
            id: m.id,
            kind: m.kind,
            recipient: m.recipient,
            subject: m.subject,
            status: m.status,
            error: m.error,
            created_at: m.created_at,
            finished_at: m.finished_at,
        })
        .collect())
}

/// Validation notices sent as email through the postman (and recorded in `mail_log`).
pub struct MailNotifier {
    postman: Arc<Postman>,
    db: Database,
}

impl MailNotifier {
    pub fn new(postman: Arc<Postman>, db: Database) -> Self {
        Self { postman, db }
    }

    fn send_all(&self, kind: &str, to: &[Recipient], render: impl Fn(&Recipient) -> Email) -> std::io::Result<()> {
        let conn = self.db.connection().map_err(std::io::Error::other)?;
        for recipient in to {
            send(&conn, &self.postman, kind, render(recipient)).map_err(|e| std::io::Error::other(e.to_string()))?;
        }
        Ok(())
    }
}

impl Notifier for MailNotifier {
    fn validation_failed(&self, to: &[Recipient], p: &NoticePackage<'_>) -> std::io::Result<()> {
        self.send_all("validation-failed", to, |r| {
            templates::validation::failed(&r.email, &r.username, p.id, p.version, p.signature)
        })
    }

    fn quarantined(&self, to: &[Recipient], p: &NoticePackage<'_>) -> std::io::Result<()> {
        self.send_all("quarantined", to, |r| {
            templates::validation::quarantined(&r.email, &r.username, p.id, p.version, p.signature)
        })
    }
}

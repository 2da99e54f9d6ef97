//! The outbox transport: each message becomes one `.eml` file in `<data-dir>/outbox/`, for
//! installs without an SMTP server (an operator reads or forwards them) and for tests.
use super::{build, Email, MailError, Mailer};
use lettre::message::Mailbox;
use rand::RngCore;
use std::path::PathBuf;

pub struct OutboxMailer {
    dir: PathBuf,
    from: Mailbox,
}

impl OutboxMailer {
    pub fn new(dir: PathBuf, from: Mailbox) -> Result<Self, MailError> {
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir, from })
    }
}

impl Mailer for OutboxMailer {
    fn send(&self, email: &Email) -> Result<(), MailError> {
        let message = build(&self.from, email)?;
        // Time first so a directory listing sorts by sending order; random so names never clash.
        let name = format!("{}-{:08x}.eml", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"), rand::rng().next_u32());
        let tmp = self.dir.join(format!(".{name}.tmp"));
        // Written under a hidden temporary name, then renamed: a reader never sees half a message.
        std::fs::write(&tmp, message.formatted())?;
        std::fs::rename(&tmp, self.dir.join(name))?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("outbox folder {}", self.dir.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_one_eml_per_message() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = OutboxMailer::new(dir.path().join("outbox"), "g@example.com".parse().unwrap()).unwrap();
        let email = Email { to: "a@example.com".into(), subject: "S".into(), body: "B".into() };
        mailer.send(&email).unwrap();
        mailer.send(&email).unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox")).unwrap().flatten().collect();
        assert_eq!(files.len(), 2);
        assert!(files.iter().all(|f| f.file_name().to_string_lossy().ends_with(".eml")));
    }
}

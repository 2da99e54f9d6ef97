//! Validation notices: the publisher hears of a failed validation, owners and admins of a
//! quarantine.
//!
//! TEMPORARY SEAM: the `Mailer` (src/mail/, SMTP and outbox) is being built on another branch.
//! Until it lands, `OutboxNotifier` writes each notice as an RFC 5322 `.eml` file into
//! `<data-dir>/outbox/`; when it lands, implement `Notifier` over the Mailer (and its templates)
//! and swap it in `AppState::open`. The services only see this trait.
use crate::store::fs::write_atomic;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub username: String,
    pub email: String,
}

/// The package version a notice is about.
#[derive(Debug, Clone)]
pub struct NoticePackage<'a> {
    pub id: &'a str,
    pub version: &'a str,
    /// What the scanner found, e.g. `Eicar-Signature`.
    pub signature: &'a str,
}

pub trait Notifier: Send + Sync {
    /// A push was refused or a validating package failed its scan.
    fn validation_failed(&self, to: &[Recipient], package: &NoticePackage<'_>) -> std::io::Result<()>;
    /// A published package was found infected by a rescan and hidden.
    fn quarantined(&self, to: &[Recipient], package: &NoticePackage<'_>) -> std::io::Result<()>;
}

pub struct OutboxNotifier {
    dir: PathBuf,
    from: String,
    base_url: String,
}

impl OutboxNotifier {
    pub fn new(dir: PathBuf, base_url: &str) -> Self {
        let host = base_url.split("://").nth(1).unwrap_or("localhost").split(['/', ':']).next().unwrap_or("localhost");
        Self { dir, from: format!("Galley <noreply@{host}>"), base_url: base_url.trim_end_matches('/').to_owned() }
    }

    fn send(&self, to: &[Recipient], event: &str, subject: &str, body: &str) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let now = chrono::Utc::now();
        for recipient in to {
            let token = hex::encode(rand::random::<[u8; 8]>());
            let host = self.from.rsplit('@').next().unwrap_or("localhost").trim_end_matches('>');
            let message = [
                format!("From: {}", self.from),
                format!("To: {} <{}>", header_safe(&recipient.username), header_safe(&recipient.email)),
                format!("Subject: {}", header_safe(subject)),
                format!("Date: {}", now.to_rfc2822()),
                format!("Message-ID: <{}.{token}@{host}>", now.timestamp_millis()),
                "MIME-Version: 1.0".into(),
                "Content-Type: text/plain; charset=utf-8".into(),
                "Content-Transfer-Encoding: 8bit".into(),
                format!("X-Galley-Event: {event}"),
                String::new(),
                format!("Hello {},", recipient.username),
                String::new(),
                body.replace('\n', "\r\n"),
                String::new(),
                format!("-- \r\nGalley at {}", self.base_url),
                String::new(),
            ]
            .join("\r\n");
            let name = format!("{}-{event}-{token}.eml", now.format("%Y%m%dT%H%M%S%.3fZ"));
            write_atomic(&self.dir.join(name), message.as_bytes())?;
        }
        Ok(())
    }
}

/// Header values must stay on one line.
fn header_safe(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

impl Notifier for OutboxNotifier {
    fn validation_failed(&self, to: &[Recipient], p: &NoticePackage<'_>) -> std::io::Result<()> {
        let subject = format!("[Galley] {} {} failed validation", p.id, p.version);
        let body = format!(
            "The package {} {} that you pushed failed validation: the virus scanner found {}.\n\
             It has not been published. Its bytes were not kept where clients can download them.\n\
             If this is a false positive, fix the package or ask an administrator, then push it again.",
            p.id, p.version, p.signature
        );
        self.send(to, "validation-failed", &subject, &body)
    }

    fn quarantined(&self, to: &[Recipient], p: &NoticePackage<'_>) -> std::io::Result<()> {
        let subject = format!("[Galley] {} {} was quarantined", p.id, p.version);
        let body = format!(
            "A scheduled rescan found {} in the package {} {}.\n\
             The version has been quarantined: it no longer appears in any feed, search or download.\n\
             Builds that restore this exact version will fail until it is replaced by a new version.",
            p.signature, p.id, p.version
        );
        self.send(to, "quarantined", &subject, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_one_rfc5322_message_per_recipient() {
        let dir = tempfile::tempdir().unwrap();
        let n = OutboxNotifier::new(dir.path().join("outbox"), "https://nuget.example.com:8443/feed/");
        let to = [
            Recipient { username: "alice".into(), email: "alice@example.com".into() },
            Recipient { username: "root".into(), email: "root@example.com".into() },
        ];
        n.quarantined(&to, &NoticePackage { id: "Acme.Core", version: "1.0.0", signature: "Eicar-Signature" }).unwrap();
        let mut files: Vec<_> = std::fs::read_dir(dir.path().join("outbox")).unwrap().flatten().collect();
        files.sort_by_key(std::fs::DirEntry::file_name);
        assert_eq!(files.len(), 2);
        let text = std::fs::read_to_string(files[0].path()).unwrap();
        let (headers, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(headers.starts_with("From: Galley <noreply@nuget.example.com>\r\n"), "{headers}");
        assert!(headers.contains("\r\nSubject: [Galley] Acme.Core 1.0.0 was quarantined\r\n"));
        assert!(headers.contains("\r\nDate: ") && headers.contains("\r\nMessage-ID: <"));
        assert!(body.contains("found Eicar-Signature in the package Acme.Core 1.0.0"), "{body}");
        assert!(!body.replace("\r\n", "").contains('\n'), "bare LF in the body");
        let all: String = files.iter().map(|f| std::fs::read_to_string(f.path()).unwrap()).collect();
        assert!(all.contains("To: alice <alice@example.com>") && all.contains("To: root <root@example.com>"));
    }
}

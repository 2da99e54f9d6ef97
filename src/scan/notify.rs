//! Validation notices: the publisher hears of a failed validation, owners and admins of a
//! quarantine. The services only see this trait; `services::notify::MailNotifier` sends them
//! through the mailer, and a test can swap in its own.

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

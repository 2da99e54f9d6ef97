//! Validation notices: a failed scan (to the publisher) and a quarantine (to owners and admins).
use super::FOOTER;
use crate::mail::Email;

pub fn failed(to: &str, username: &str, id: &str, version: &str, signature: &str) -> Email {
    Email {
        to: to.to_owned(),
        subject: format!("[Galley] {id} {version} failed validation"),
        body: format!(
            "Hello {username},\n\nThe package {id} {version} that you pushed failed validation: the virus scanner found {signature}.\n\
             It has not been published. Its bytes were not kept where clients can download them.\n\
             If this is a false positive, fix the package or ask an administrator, then push it again.\n{FOOTER}"
        ),
    }
}

pub fn quarantined(to: &str, username: &str, id: &str, version: &str, signature: &str) -> Email {
    Email {
        to: to.to_owned(),
        subject: format!("[Galley] {id} {version} was quarantined"),
        body: format!(
            "Hello {username},\n\nA scheduled rescan found {signature} in the package {id} {version}.\n\
             The version has been quarantined: it no longer appears in any feed, search or download.\n\
             Builds that restore this exact version will fail until it is replaced by a new version.\n{FOOTER}"
        ),
    }
}

//! The text of every email Galley sends, one file per kind. Plain `format!` until the portal's
//! templates arrive; every link is built by the caller from the one URL generator.
pub mod address_in_use;
pub mod confirm_email;
pub mod owner_invitation;
pub mod reset_password;
pub mod support_request;
pub mod validation;

/// Signature shared by every message.
const FOOTER: &str =
    "\n-- \nSent by Galley, the package gallery. If you did not expect this message, you can ignore it.\n";

//! `[accounts]`: registration, lifetimes of sessions, keys and emailed links, sign-in limits.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AccountsConfig {
    pub bcrypt_cost: u32,
    pub allow_registration: bool,
    /// With `[feed] require_auth`, self-registration stays off unless this is also true.
    pub private_feed_registration: bool,
    /// Self-registered accounts start disabled until an administrator enables (approves) them.
    pub require_approval: bool,
    pub require_confirmed_email: bool,
    pub api_key_default_days: u32,
    /// Lifetime of a sign-in session.
    pub session_days: u32,
    /// Lifetime of an emailed address-confirmation link.
    pub email_confirmation_hours: u32,
    /// Lifetime of an emailed password-reset link.
    pub password_reset_hours: u32,
    /// Lifetime of an emailed owner invitation.
    pub owner_invitation_days: u32,
    /// Failed credential checks allowed per account and client address within the window; an
    /// account takes 5 times as many from all addresses, an address 20 times as many for all accounts.
    pub login_max_failures: u32,
    pub login_window_minutes: u32,
    /// Creating API keys and uploading in the portal need two-factor authentication turned on.
    pub require_2fa_for_publishers: bool,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        Self {
            bcrypt_cost: 12,
            allow_registration: true,
            private_feed_registration: false,
            require_approval: false,
            require_confirmed_email: false,
            api_key_default_days: 365,
            session_days: 14,
            email_confirmation_hours: 48,
            password_reset_hours: 2,
            owner_invitation_days: 7,
            login_max_failures: 10,
            login_window_minutes: 15,
            require_2fa_for_publishers: false,
        }
    }
}

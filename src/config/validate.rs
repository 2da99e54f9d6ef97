//! The checks serde's types cannot express: addresses, ranges, schemes, non-zero limits. Each
//! section with rules of its own checks itself in its file.
use super::{directory, oidc, retention, server, upstream, Config, ConfigError};

impl Config {
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.listen.parse::<std::net::SocketAddr>().map_err(|_| {
            ConfigError::Invalid(format!("listen = '{}' is not an address like 127.0.0.1:5000", self.listen))
        })?;
        let scheme_ok = self.base_url.starts_with("http://") || self.base_url.starts_with("https://");
        if !self.base_url.is_empty() && !scheme_ok {
            return Err(ConfigError::Invalid(format!(
                "base_url = '{}' must start with http:// or https://",
                self.base_url
            )));
        }
        if let Some(bad) = self.server.trusted_proxies.iter().find(|p| server::parse_net(p).is_none()) {
            return Err(ConfigError::Invalid(format!(
                "[server] trusted_proxies: '{bad}' is not an address or CIDR range like 10.0.0.0/8"
            )));
        }
        if self.publish.max_package_mb == 0 {
            return Err(ConfigError::Invalid("[publish] max_package_mb must be at least 1".into()));
        }
        if self.publish.upload_idle_timeout_seconds == 0 || self.publish.upload_total_timeout_seconds == 0 {
            return Err(ConfigError::Invalid(
                "[publish] upload_idle_timeout_seconds and upload_total_timeout_seconds must be at least 1".into(),
            ));
        }
        if !(4..=31).contains(&self.accounts.bcrypt_cost) {
            return Err(ConfigError::Invalid("[accounts] bcrypt_cost must be between 4 and 31".into()));
        }
        self.validate_accounts_and_mail()?;
        if let Err(e) = tracing_subscriber::EnvFilter::builder().parse(&self.log.level) {
            return Err(ConfigError::Invalid(format!(
                "[log] level = '{}' is not a level (error, warn, info, debug, trace) or a filter like 'info,galley::request=warn': {e}",
                self.log.level
            )));
        }
        retention::validate(&self.retention).map_err(ConfigError::Invalid)?;
        upstream::validate_all(&self.upstream)?;
        directory::validate(self.ldap.as_ref(), &self.group_mapping)?;
        oidc::validate_all(&self.oidc)?;
        if self.feed.v2_page_size == 0 {
            return Err(ConfigError::Invalid("[feed] v2_page_size must be at least 1".into()));
        }
        self.storage.validate()?;
        self.database.validate()?;
        self.scan.validate()
    }

    fn validate_accounts_and_mail(&self) -> Result<(), ConfigError> {
        let a = &self.accounts;
        if !(1..=365).contains(&a.api_key_default_days) {
            return Err(ConfigError::Invalid("[accounts] api_key_default_days must be between 1 and 365".into()));
        }
        for (key, value) in [
            ("session_days", a.session_days),
            ("email_confirmation_hours", a.email_confirmation_hours),
            ("password_reset_hours", a.password_reset_hours),
            ("owner_invitation_days", a.owner_invitation_days),
            ("login_max_failures", a.login_max_failures),
            ("login_window_minutes", a.login_window_minutes),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid(format!("[accounts] {key} must be at least 1")));
            }
        }
        let smtp = self.mail.smtp_url.trim();
        let scheme_ok = smtp.starts_with("smtp://") || smtp.starts_with("smtps://");
        if !smtp.is_empty() && !scheme_ok {
            return Err(ConfigError::Invalid(format!(
                "[mail] smtp_url = '{smtp}' must start with smtp:// or smtps:// (or be empty to write mail to the outbox folder)"
            )));
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::Invalid(format!(
                "[mail] from = '{}' is not an address like 'Galley <galley@example.com>'",
                self.mail.from
            )));
        }
        Ok(())
    }
}

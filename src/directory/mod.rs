//! The LDAP directory adapter (`[ldap]`): connects (StartTLS for `ldap://`, TLS for `ldaps://`),
//! searches as the service account, checks a user's password by binding as them, and reads the
//! entry's name, email address and groups. It decides nothing: `services::directory_signin` and
//! `services::directory_sync` do.
mod filter;
mod tls;

use crate::config::LdapConfig;
use ldap3::{LdapConn, LdapConnSettings, Scope, SearchEntry};
use std::time::Duration;

/// A user as the directory describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    pub dn: String,
    /// `username_attribute`'s value (the name as the directory spells it).
    pub username: String,
    pub email: Option<String>,
    /// The DNs of the user's groups.
    pub groups: Vec<String>,
}

/// The directory could not answer (unreachable, TLS refused, the service bind failed, a search
/// failed): nothing may be concluded about the user.
#[derive(Debug, thiserror::Error)]
#[error("LDAP directory: {0}")]
pub struct DirectoryError(String);

impl From<ldap3::LdapError> for DirectoryError {
    fn from(e: ldap3::LdapError) -> Self {
        DirectoryError(e.to_string())
    }
}

/// The LDAP result code of a failed simple bind with a wrong password (RFC 4511, appendix A).
const INVALID_CREDENTIALS: u32 = 49;

/// A connection bound as the service account.
pub struct Directory<'a> {
    config: &'a LdapConfig,
    conn: LdapConn,
    timeout: Duration,
}

impl<'a> Directory<'a> {
    /// Connects and binds as `bind_dn` (or stays anonymous when it is empty).
    pub fn connect(config: &'a LdapConfig) -> Result<Self, DirectoryError> {
        let timeout = Duration::from_secs(config.timeout_seconds);
        let url = config.url.trim();
        let mut settings = LdapConnSettings::new().set_conn_timeout(timeout).set_starttls(url.starts_with("ldap://"));
        if !config.ca_file.is_empty() {
            settings = settings.set_config(tls::client_config(&config.ca_file)?);
        }
        let conn = LdapConn::with_settings(settings, url)?;
        let mut directory = Directory { config, conn, timeout };
        if !config.bind_dn.trim().is_empty() {
            directory
                .conn
                .with_timeout(timeout)
                .simple_bind(config.bind_dn.trim(), &config.bind_password)?
                .success()
                .map_err(|e| DirectoryError(format!("the service account bind_dn could not bind: {e}")))?;
        }
        Ok(directory)
    }

    /// The one entry `user_filter` finds for `username`, with its groups; `None` when none or
    /// more than one entry matches (an ambiguous filter never signs anyone in).
    pub fn find(&mut self, username: &str) -> Result<Option<DirectoryUser>, DirectoryError> {
        let c = self.config;
        let filter = filter::user(&c.user_filter, username);
        let attrs = [c.username_attribute.as_str(), c.email_attribute.as_str(), "memberOf"];
        let (mut entries, _) = self
            .conn
            .with_timeout(self.timeout)
            .search(c.user_base.trim(), Scope::Subtree, &filter, attrs)?
            .success()?;
        if entries.len() != 1 {
            return Ok(None);
        }
        let entry = SearchEntry::construct(entries.remove(0));
        let Some(name) = first(&entry, &c.username_attribute) else { return Ok(None) };
        let groups =
            if c.group_base.trim().is_empty() { values(&entry, "memberOf") } else { self.groups_of(&entry.dn, &name)? };
        Ok(Some(DirectoryUser { email: first(&entry, &c.email_attribute), username: name, dn: entry.dn, groups }))
    }

    fn groups_of(&mut self, dn: &str, username: &str) -> Result<Vec<String>, DirectoryError> {
        let c = self.config;
        let filter = filter::groups(&c.group_filter, dn, username);
        // "1.1": no attributes, the DNs are all that is needed (RFC 4511, 4.5.1.8).
        let (entries, _) = self
            .conn
            .with_timeout(self.timeout)
            .search(c.group_base.trim(), Scope::Subtree, &filter, ["1.1"])?
            .success()?;
        Ok(entries.into_iter().map(|e| SearchEntry::construct(e).dn).collect())
    }

    /// Whether `password` is the user's: a simple bind as their DN. An empty password is refused
    /// here, never sent: the directory would take it as an anonymous bind and succeed (RFC 4513, 5.1.2).
    pub fn check_password(&mut self, dn: &str, password: &str) -> Result<bool, DirectoryError> {
        if password.is_empty() {
            return Ok(false);
        }
        let result = self.conn.with_timeout(self.timeout).simple_bind(dn, password)?;
        match result.rc {
            0 => Ok(true),
            INVALID_CREDENTIALS => Ok(false),
            _ => Err(DirectoryError(format!("binding as the user failed: {result}"))),
        }
    }

    pub fn close(mut self) {
        // The server drops the connection either way; a failed unbind changes nothing.
        let _ = self.conn.unbind();
    }
}

/// The first value of an attribute, whatever case the server spells its name in.
fn first(entry: &SearchEntry, attribute: &str) -> Option<String> {
    values(entry, attribute).into_iter().find(|v| !v.trim().is_empty())
}

fn values(entry: &SearchEntry, attribute: &str) -> Vec<String> {
    entry.attrs.iter().filter(|(k, _)| k.eq_ignore_ascii_case(attribute)).flat_map(|(_, v)| v.clone()).collect()
}

//! `[database]`: the embedded SQLite file in the data directory (the default), or a PostgreSQL
//! server (issue #21, docs/scale-out.md).
use super::ConfigError;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Empty = `<data-dir>/galley.db`; `postgres://user:password@host:port/database` = PostgreSQL.
    pub url: String,
    /// Connections the PostgreSQL pool keeps at most (SQLite's pool sizes itself by CPU count).
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: String::new(), max_connections: 16 }
    }
}

impl DatabaseConfig {
    pub fn is_postgres(&self) -> bool {
        !self.url.is_empty()
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(format!("[database] {m}")));
        if self.max_connections == 0 {
            return invalid("max_connections must be at least 1".into());
        }
        if !self.is_postgres() {
            return Ok(());
        }
        // The URL may carry a password: errors name its problem, never echo it.
        if !(self.url.starts_with("postgres://") || self.url.starts_with("postgresql://")) {
            return invalid(
                "url must be empty (the embedded SQLite database) or start with postgres:// or postgresql:// \
                 (postgres://user:password@host:port/database)"
                    .into(),
            );
        }
        match postgres::Config::from_str(&self.url) {
            Ok(config) if config.get_hosts().is_empty() => invalid("url names no host".into()),
            Ok(_) => Ok(()),
            Err(e) => invalid(format!("url is not a valid PostgreSQL URL: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str) -> String {
        DatabaseConfig { url: url.into(), max_connections: 16 }
            .validate()
            .map_or_else(|e| e.to_string(), |()| "ok".into())
    }

    #[test]
    fn accepts_empty_and_postgres_urls() {
        assert_eq!(check(""), "ok");
        assert_eq!(check("postgres://galley:secret@db.internal:5432/galley"), "ok");
        assert_eq!(check("postgresql://galley@127.0.0.1/galley?sslmode=disable"), "ok");
    }

    #[test]
    fn names_what_is_wrong_with_a_url_without_echoing_it() {
        let scheme =
            "invalid configuration: [database] url must be empty (the embedded SQLite database) or start with \
                      postgres:// or postgresql:// (postgres://user:password@host:port/database)";
        assert_eq!(check("mysql://root:hunter2@db/galley"), scheme);
        assert_eq!(check("host=db user=galley"), scheme);
        let port = check("postgres://galley:hunter2@db:notaport/galley");
        assert!(port.starts_with("invalid configuration: [database] url is not a valid PostgreSQL URL: "), "{port}");
        assert!(!port.contains("hunter2"), "{port}");
        assert_eq!(check("postgres:///galley"), "invalid configuration: [database] url names no host");
        let zero = DatabaseConfig { url: String::new(), max_connections: 0 }.validate().unwrap_err();
        assert_eq!(zero.to_string(), "invalid configuration: [database] max_connections must be at least 1");
    }
}

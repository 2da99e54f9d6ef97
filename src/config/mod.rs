//! Typed configuration: defaults < `galley.toml` (or `--config`) < `GALLEY_*` environment variables < flags.
//!
//! Every key is documented in `config.example.toml`; a test parses that file so the two cannot drift.
//! This file holds the whole shape; each section lives in its own file, the layering in `layers`,
//! the cross-section checks in `validate`, and the paths derived from `data_dir` in `paths`.
mod accounts;
mod cache;
pub mod clamd_address;
mod database;
mod directory;
mod feed;
mod jobs;
mod layers;
mod mail;
pub mod oidc;
mod ops;
mod paths;
mod publish;
mod retention;
mod scan;
mod server;
mod storage;
pub mod upstream;
mod validate;

pub use accounts::AccountsConfig;
pub use cache::CacheConfig;
pub use database::DatabaseConfig;
pub use directory::{GroupMapping, LdapConfig, MappedRole};
pub use feed::FeedConfig;
pub use jobs::JobsConfig;
pub use layers::Overrides;
pub use mail::MailConfig;
pub use oidc::OidcConfig;
pub use ops::{LogConfig, LogFormat, MetricsConfig};
pub use publish::{DeleteMode, PublishConfig};
pub use retention::{RetentionAction, RetentionRule};
pub use scan::{ScanConfig, ScanMode, ScannerKind};
pub use server::ServerConfig;
pub use storage::{StorageBackend, StorageConfig};
pub use upstream::UpstreamConfig;

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server binds.
    pub listen: String,
    /// Folder holding the database, packages, cache and outbox.
    pub data_dir: PathBuf,
    /// Public URL clients use to reach Galley (scheme, host, optional path prefix). Empty = `http://{listen}`.
    pub base_url: String,
    /// `[[retention]]` rules for the retention job; none = nothing is ever removed.
    pub retention: Vec<RetentionRule>,
    pub server: ServerConfig,
    pub publish: PublishConfig,
    pub feed: FeedConfig,
    pub accounts: AccountsConfig,
    pub mail: MailConfig,
    pub scan: ScanConfig,
    pub jobs: JobsConfig,
    pub cache: CacheConfig,
    pub storage: StorageConfig,
    pub database: DatabaseConfig,
    pub log: LogConfig,
    pub metrics: MetricsConfig,
    /// Feeds an id not held here is read through from, tried in order (`docs/upstreams.md`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub upstream: Vec<UpstreamConfig>,
    /// The directory password sign-in asks (`docs/sign-in.md`); absent = local accounts only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ldap: Option<LdapConfig>,
    /// Organization memberships that follow directory groups.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group_mapping: Vec<GroupMapping>,
    /// OIDC providers people may sign in with (`docs/sign-in.md`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub oidc: Vec<OidcConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:5000".into(),
            data_dir: PathBuf::from("./galley-data"),
            base_url: String::new(),
            retention: Vec::new(),
            server: ServerConfig::default(),
            publish: PublishConfig::default(),
            feed: FeedConfig::default(),
            accounts: AccountsConfig::default(),
            mail: MailConfig::default(),
            scan: ScanConfig::default(),
            jobs: JobsConfig::default(),
            cache: CacheConfig::default(),
            storage: StorageConfig::default(),
            database: DatabaseConfig::default(),
            log: LogConfig::default(),
            metrics: MetricsConfig::default(),
            upstream: Vec::new(),
            ldap: None,
            group_mapping: Vec::new(),
            oidc: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;

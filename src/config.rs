//! Typed configuration: defaults < `galley.toml` (or `--config`) < `GALLEY_*` environment variables < flags.
//!
//! Every key is documented in `config.example.toml`; a test parses that file so the two cannot drift.
mod retention;

pub use retention::{RetentionAction, RetentionRule};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub mod clamd_address;
mod directory;
pub use directory::{GroupMapping, LdapConfig, MappedRole};
mod ops;
pub use ops::{LogConfig, LogFormat, MetricsConfig};
pub mod upstream;
pub use upstream::UpstreamConfig;
mod storage;
pub use storage::{StorageBackend, StorageConfig};
pub mod oidc;
pub use oidc::OidcConfig;

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

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DeleteMode {
    /// nuget.org's behaviour: DELETE hides the version but keeps it restorable.
    Unlist,
    /// Admins' DELETE removes the files; the id+version stays reserved forever.
    Hard,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` / `Forwarded` headers name
    /// the client. Empty = the TCP peer is the client and those headers are ignored.
    pub trusted_proxies: Vec<String>,
}

impl ServerConfig {
    /// The parsed ranges (`validate` has refused anything unparsable).
    pub fn trusted_proxy_nets(&self) -> Vec<ipnet::IpNet> {
        self.trusted_proxies.iter().filter_map(|p| parse_net(p)).collect()
    }
}

/// `10.0.0.0/8`, `::1/128`, or a bare address (a range of one).
fn parse_net(text: &str) -> Option<ipnet::IpNet> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>().ok().or_else(|| text.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PublishConfig {
    pub max_package_mb: u64,
    pub max_entries: usize,
    pub max_expanded_mb: u64,
    pub delete_mode: DeleteMode,
    /// An upload whose body sends nothing for this long is refused with 408.
    pub upload_idle_timeout_seconds: u64,
    /// An upload whose body takes longer than this in all is refused with 408.
    pub upload_total_timeout_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FeedConfig {
    /// When true every feed and download route, and every portal page, needs HTTP Basic credentials.
    pub require_auth: bool,
    /// Entries per page in v2 (OData) answers before a `next` link.
    pub v2_page_size: usize,
}

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

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// `smtp://host:port` (plain, or STARTTLS with `?tls=required`), `smtps://host:port` (TLS);
    /// credentials as `smtp://user:password@host`. Empty = write `.eml` files to `<data-dir>/outbox/`.
    pub smtp_url: String,
    /// Sender of every message, e.g. `Galley <galley@example.com>`.
    pub from: String,
    /// How long one SMTP conversation may take before the send counts as failed.
    pub timeout_seconds: u64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ScannerKind {
    /// EICAR and a SHA-256 deny-list only: a smoke test, not an antivirus.
    Builtin,
    /// The ClamAV daemon over its INSTREAM protocol.
    Clamd,
    /// An external command, e.g. clamscan.
    Command,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ScanMode {
    /// The push waits for the scan and answers 201 or 400.
    Sync,
    /// The push answers 202 at once; the package is published when the scan comes back clean.
    Async,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ScanConfig {
    pub scanner: ScannerKind,
    pub mode: ScanMode,
    /// Longest one scan may take before it counts as a scanner error.
    pub timeout_seconds: u64,
    /// Keep the bytes of infected packages in `<data-dir>/quarantine/` (never served) instead of deleting them.
    pub keep_infected: bool,
    /// Builtin scanner: file of SHA-256 hashes to refuse; empty = none.
    pub builtin_denylist: String,
    /// Clamd scanner: `tcp://host:port` or `unix:/path/to/socket`.
    pub clamd_address: String,
    /// Command scanner: program and arguments; `{path}` is replaced by the package file.
    pub command: Vec<String>,
    pub clean_exit_codes: Vec<i32>,
    pub infected_exit_codes: Vec<i32>,
    /// Backoff of packages left `validating` by a scanner error: first retry after the base,
    /// doubling up to the maximum.
    pub retry_base_seconds: u64,
    pub retry_max_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// Cron expressions (with seconds); an empty string disables the job.
    pub flush_downloads: String,
    pub rescan: String,
    pub reindex: String,
    pub purge_expired: String,
    pub retry_validating: String,
    /// Applies the `[[retention]]` rules.
    pub retention: String,
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
            log: LogConfig::default(),
            metrics: MetricsConfig::default(),
            upstream: Vec::new(),
            ldap: None,
            group_mapping: Vec::new(),
            oidc: Vec::new(),
        }
    }
}

impl Default for PublishConfig {
    fn default() -> Self {
        // nuget.org's upload limit is 250 MB.
        Self {
            max_package_mb: 250,
            max_entries: 20_000,
            max_expanded_mb: 1024,
            delete_mode: DeleteMode::Unlist,
            upload_idle_timeout_seconds: 30,
            upload_total_timeout_seconds: 600,
        }
    }
}

impl Default for FeedConfig {
    fn default() -> Self {
        Self { require_auth: false, v2_page_size: 100 }
    }
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

impl Default for MailConfig {
    fn default() -> Self {
        Self { smtp_url: String::new(), from: "Galley <galley@localhost>".into(), timeout_seconds: 30 }
    }
}

impl Default for ScanConfig {
    fn default() -> Self {
        Self {
            scanner: ScannerKind::Builtin,
            mode: ScanMode::Sync,
            timeout_seconds: 120,
            keep_infected: false,
            builtin_denylist: String::new(),
            clamd_address: "tcp://127.0.0.1:3310".into(),
            command: vec!["clamscan".into(), "--no-summary".into(), "{path}".into()],
            clean_exit_codes: vec![0],
            infected_exit_codes: vec![1],
            retry_base_seconds: 60,
            retry_max_seconds: 3600,
        }
    }
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            flush_downloads: "0 * * * * *".into(),
            rescan: "0 0 3 * * *".into(),
            reindex: "0 15 * * * *".into(),
            purge_expired: "0 30 4 * * *".into(),
            retry_validating: "30 * * * * *".into(),
            // Daily; with no [[retention]] rules it does nothing.
            retention: "0 45 3 * * *".into(),
        }
    }
}

/// Memory for answers kept between requests. Every cache is bounded by its size and may be 0
/// (off); together they are most of the server's memory under load.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// Rendered restore documents (flat-container indexes, registrations), in MB.
    pub documents_mb: u64,
    /// Published `.nupkg` files of up to 256 KB, in MB.
    pub packages_mb: u64,
    /// Answers computed per request and kept until what they show changes (v2 `FindPackagesById`,
    /// search, autocomplete), in MB.
    pub answers_mb: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self { documents_mb: 24, packages_mb: 16, answers_mb: 16 }
    }
}

impl CacheConfig {
    pub fn bytes(mb: u64) -> u64 {
        mb.saturating_mul(1024 * 1024)
    }
}

/// Values given on the command line; `None` leaves the lower layers alone.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub base_url: Option<String>,
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

const ENV_PREFIX: &str = "GALLEY_";

impl Config {
    /// Loads the layered configuration. `explicit` is `--config`; without it `galley.toml` in the
    /// working directory is read when present.
    pub fn load(explicit: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        // GALLEY_LOG is the log filter (see `logging`), not a configuration key.
        let env: Vec<(String, String)> =
            std::env::vars().filter(|(k, _)| k.starts_with(ENV_PREFIX) && k != "GALLEY_LOG").collect();
        Self::load_from(explicit, &env, overrides)
    }

    pub fn load_from(
        explicit: Option<&Path>,
        env: &[(String, String)],
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let mut config = match explicit {
            Some(path) => Self::from_file(path)?,
            None if Path::new("galley.toml").exists() => Self::from_file(Path::new("galley.toml"))?,
            None => Self::default(),
        };
        config.apply_env(env)?;
        if let Some(listen) = &overrides.listen {
            config.listen.clone_from(listen);
        }
        if let Some(dir) = &overrides.data_dir {
            config.data_dir.clone_from(dir);
        }
        if let Some(url) = &overrides.base_url {
            config.base_url.clone_from(url);
        }
        config.validate()?;
        Ok(config)
    }

    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        Self::from_toml(&text).map_err(|message| ConfigError::Parse { path: path.to_owned(), message })
    }

    /// Parses TOML text; the error names the key and the line (toml's messages carry both).
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())
    }

    /// `GALLEY_LISTEN` sets `listen`; `GALLEY_PUBLISH__DELETE_MODE` sets `[publish] delete_mode`.
    fn apply_env(&mut self, env: &[(String, String)]) -> Result<(), ConfigError> {
        if env.is_empty() {
            return Ok(());
        }
        let mut table = toml::Table::try_from(&*self).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        'vars: for (var, raw) in env {
            let path: Vec<String> = var[ENV_PREFIX.len()..].split("__").map(str::to_ascii_lowercase).collect();
            let env_error = |message: String| ConfigError::Env { var: var.clone(), message };
            let (key, sections) = path.split_last().ok_or_else(|| env_error("empty key".into()))?;
            let mut target = &mut table;
            for section in sections {
                let Some(next) = target.get_mut(section).and_then(toml::Value::as_table_mut) else {
                    tracing::warn!(variable = %var, "ignoring an environment variable that names no configuration section");
                    continue 'vars;
                };
                target = next;
            }
            if !target.contains_key(key) {
                // Scripts set GALLEY_-prefixed variables of their own (GALLEY_BIN…): not ours.
                tracing::warn!(variable = %var, "ignoring an environment variable that names no configuration key");
                continue;
            }
            target.insert(key.clone(), env_value(raw));
            // Checked per variable so the error names the one that is wrong.
            table.clone().try_into::<Config>().map_err(|e| env_error(e.message().to_owned()))?;
        }
        *self = table.try_into().map_err(|e: toml::de::Error| ConfigError::Invalid(e.message().to_owned()))?;
        Ok(())
    }

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
        if let Some(bad) = self.server.trusted_proxies.iter().find(|p| parse_net(p).is_none()) {
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

impl ScanConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(format!("[scan] {m}")));
        if self.timeout_seconds == 0 {
            return invalid("timeout_seconds must be at least 1");
        }
        if self.retry_base_seconds == 0 || self.retry_max_seconds < self.retry_base_seconds {
            return invalid("retry_base_seconds must be at least 1 and retry_max_seconds at least retry_base_seconds");
        }
        match self.scanner {
            ScannerKind::Clamd if clamd_address::Address::parse(&self.clamd_address).is_none() => invalid(&format!(
                "clamd_address = '{}' must look like tcp://127.0.0.1:3310 or unix:/run/clamav/clamd.ctl",
                self.clamd_address
            )),
            ScannerKind::Command if self.command.first().is_none_or(|p| p.trim().is_empty()) => {
                invalid("command must name a program, e.g. [\"clamscan\", \"--no-summary\", \"{path}\"]")
            }
            ScannerKind::Command if self.clean_exit_codes.iter().any(|c| self.infected_exit_codes.contains(c)) => {
                invalid("clean_exit_codes and infected_exit_codes must not share a code")
            }
            _ => Ok(()),
        }
    }
}

impl Config {
    /// The public base URL without a trailing slash.
    pub fn public_base_url(&self) -> String {
        if self.base_url.is_empty() {
            format!("http://{}", self.listen)
        } else {
            self.base_url.trim_end_matches('/').to_owned()
        }
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("galley.db")
    }
    pub fn packages_dir(&self) -> PathBuf {
        self.data_dir.join("packages")
    }
    /// With `[storage] backend = "s3"`: this node's copies of the bucket's files.
    pub fn object_cache_dir(&self) -> PathBuf {
        self.data_dir.join("object-cache")
    }
    pub fn cache_dir(&self) -> PathBuf {
        self.data_dir.join("cache")
    }
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }
    pub fn secret_path(&self) -> PathBuf {
        self.data_dir.join("secret.key")
    }
    /// Uploads waiting for their scan: never served.
    pub fn pending_dir(&self) -> PathBuf {
        self.data_dir.join("pending")
    }
    /// Infected packages kept with `[scan] keep_infected`: never served.
    pub fn quarantine_dir(&self) -> PathBuf {
        self.data_dir.join("quarantine")
    }
    /// Where swept files without a database row are moved (`galley check --repair`, start-up).
    pub fn lost_found_dir(&self) -> PathBuf {
        self.data_dir.join("lost+found")
    }
    pub fn tmp_dir(&self) -> PathBuf {
        self.data_dir.join("tmp")
    }
    pub fn max_package_bytes(&self) -> u64 {
        self.publish.max_package_mb * 1024 * 1024
    }
}

/// An environment value is TOML when it parses as one (`true`, `42`, `"x"`), otherwise a plain string.
fn env_value(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_matches_the_defaults() {
        let text = include_str!("../config.example.toml");
        assert_eq!(Config::from_toml(text).unwrap(), Config::default());
    }

    /// Every key path of a TOML table, e.g. `publish.max_package_mb`.
    fn key_paths(table: &toml::Table, prefix: &str, out: &mut Vec<String>) {
        for (key, value) in table {
            let path = format!("{prefix}{key}");
            match value {
                toml::Value::Table(inner) => key_paths(inner, &format!("{path}."), out),
                _ => out.push(path),
            }
        }
    }

    #[test]
    fn example_file_documents_every_key() {
        // Parsing alone cannot catch a key missing from the example: serde's defaults fill it in.
        let example: toml::Table = toml::from_str(include_str!("../config.example.toml")).unwrap();
        let defaults = toml::Table::try_from(Config::default()).unwrap();
        let (mut documented, mut known) = (Vec::new(), Vec::new());
        key_paths(&example, "", &mut documented);
        key_paths(&defaults, "", &mut known);
        documented.sort();
        known.sort();
        assert_eq!(documented, known, "config.example.toml must show every key of Config");
    }

    /// The commented `[[upstream]]` example, uncommented, shows every key of an upstream with its
    /// default (the name and url aside, which have none).
    #[test]
    fn example_file_documents_every_upstream_key() {
        let text = include_str!("../config.example.toml");
        let block: String = text
            .lines()
            .skip_while(|l| *l != "# [[upstream]]")
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| !l.starts_with("# "))
            .flat_map(|l| [l, "\n"])
            .collect();
        let example = Config::from_toml(&block).unwrap();
        let [upstream] = example.upstream.as_slice() else { panic!("one [[upstream]] example: {block}") };
        let expected = UpstreamConfig {
            name: "nuget.org".into(),
            url: "https://api.nuget.org/v3/index.json".into(),
            ..UpstreamConfig::default()
        };
        assert_eq!(upstream, &expected);
        let table: toml::Table = toml::from_str(&block).unwrap();
        let mut documented: Vec<String> =
            table["upstream"].as_array().unwrap()[0].as_table().unwrap().keys().cloned().collect();
        let mut known: Vec<String> =
            toml::Table::try_from(UpstreamConfig::default()).unwrap().keys().cloned().collect();
        documented.sort();
        known.sort();
        assert_eq!(documented, known);
        example.validate().unwrap();
    }

    /// The commented `[[oidc]]` example, uncommented, shows every key of a provider with its
    /// default (name, issuer and client credentials aside, which have none).
    #[test]
    fn example_file_documents_every_oidc_key() {
        let block: String = include_str!("../config.example.toml")
            .lines()
            .skip_while(|l| *l != "# [[oidc]]")
            .take_while(|l| l.starts_with('#'))
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| !l.starts_with("# "))
            .flat_map(|l| [l, "\n"])
            .collect();
        let example = Config::from_toml(&block).unwrap();
        let [provider] = example.oidc.as_slice() else { panic!("one [[oidc]] example: {block}") };
        let expected = OidcConfig {
            name: "corp".into(),
            issuer: "https://login.example.com/realms/corp".into(),
            client_id: "galley".into(),
            client_secret: "from-the-provider".into(),
            ..OidcConfig::default()
        };
        assert_eq!(provider, &expected);
        let table: toml::Table = toml::from_str(&block).unwrap();
        let mut documented: Vec<String> =
            table["oidc"].as_array().unwrap()[0].as_table().unwrap().keys().cloned().collect();
        let mut known: Vec<String> = toml::Table::try_from(OidcConfig::default()).unwrap().keys().cloned().collect();
        documented.sort();
        known.sort();
        assert_eq!(documented, known);
        example.validate().unwrap();
    }

    #[test]
    fn bad_value_names_the_key_and_line() {
        let err = Config::from_toml("listen = \"127.0.0.1:1\"\n[publish]\ndelete_mode = \"shred\"\n").unwrap_err();
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("delete_mode"), "{err}");
    }

    #[test]
    fn unknown_key_is_an_error() {
        let err = Config::from_toml("[feed]\nrequire_auht = true\n").unwrap_err();
        assert!(err.contains("require_auht") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("g.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:6000\"\n[feed]\nv2_page_size = 7\n").unwrap();
        let env = vec![
            ("GALLEY_LISTEN".to_owned(), "127.0.0.1:7000".to_owned()),
            ("GALLEY_FEED__REQUIRE_AUTH".to_owned(), "true".to_owned()),
        ];
        let flags = Overrides { listen: Some("127.0.0.1:8000".into()), ..Overrides::default() };
        let config = Config::load_from(Some(&file), &env, &flags).unwrap();
        assert_eq!(config.listen, "127.0.0.1:8000");
        assert!(config.feed.require_auth);
        assert_eq!(config.feed.v2_page_size, 7);
        let config = Config::load_from(Some(&file), &env, &Overrides::default()).unwrap();
        assert_eq!(config.listen, "127.0.0.1:7000");
    }

    #[test]
    fn unknown_env_keys_are_ignored_but_bad_values_are_errors() {
        let env = vec![
            ("GALLEY_FEED__NOPE".to_owned(), "1".to_owned()),
            ("GALLEY_BIN".to_owned(), "/usr/bin/galley".to_owned()),
            ("GALLEY_NOSECTION__X".to_owned(), "1".to_owned()),
        ];
        assert_eq!(Config::load_from(None, &env, &Overrides::default()).unwrap(), Config::default());
        let env = vec![("GALLEY_FEED__V2_PAGE_SIZE".to_owned(), "many".to_owned())];
        let err = Config::load_from(None, &env, &Overrides::default()).unwrap_err();
        assert!(
            err.to_string().starts_with("invalid environment variable GALLEY_FEED__V2_PAGE_SIZE: invalid type"),
            "{err}"
        );
    }

    #[test]
    fn log_settings_are_checked() {
        let env = vec![("GALLEY_LOG__LEVEL".to_owned(), "galley=loud".to_owned())];
        let err = Config::load_from(None, &env, &Overrides::default()).unwrap_err().to_string();
        assert!(err.starts_with("invalid configuration: [log] level = 'galley=loud' is not a level"), "{err}");
        let env = vec![("GALLEY_LOG__FORMAT".to_owned(), "xml".to_owned())];
        let err = Config::load_from(None, &env, &Overrides::default()).unwrap_err().to_string();
        assert!(err.starts_with("invalid environment variable GALLEY_LOG__FORMAT: unknown variant `xml`"), "{err}");
        let env = vec![("GALLEY_LOG__FORMAT".to_owned(), "json".to_owned())];
        assert_eq!(Config::load_from(None, &env, &Overrides::default()).unwrap().log.format, LogFormat::Json);
    }

    #[test]
    fn mail_settings_are_checked() {
        let mut config = Config::default();
        config.mail.smtp_url = "http://mail".into();
        assert!(config.validate().unwrap_err().to_string().contains("smtp_url"));
        config.mail.smtp_url = "smtps://mail.example.com:465".into();
        config.mail.from = "not an address".into();
        assert!(config.validate().unwrap_err().to_string().contains("[mail] from"));
    }

    #[test]
    fn base_url_defaults_to_listen_address() {
        let config = Config::default();
        assert_eq!(config.public_base_url(), "http://127.0.0.1:5000");
        let config = Config { base_url: "https://example.org/nuget/".into(), ..Config::default() };
        assert_eq!(config.public_base_url(), "https://example.org/nuget");
    }
}

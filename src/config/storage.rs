//! `[storage]`: where package files live (the data folder, or an S3-compatible bucket) and how
//! much room the data folder must keep.
use super::ConfigError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    /// `<data-dir>/packages/`.
    #[default]
    Filesystem,
    /// An S3-compatible bucket; each node keeps a bounded cache under `<data-dir>/object-cache/`.
    S3,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Free space (MB) the data folder's file system must keep after a push: below it pushes
    /// answer 507 and `/health` answers 503. 0 only refuses when a write actually fails.
    pub min_free_mb: u64,
    pub backend: StorageBackend,
    pub bucket: String,
    /// Key prefix inside the bucket (no leading or trailing slash needed).
    pub prefix: String,
    /// `http://127.0.0.1:9000` for an S3-compatible server; empty = AWS.
    pub endpoint: String,
    pub region: String,
    /// Path-style URLs (`endpoint/bucket/key`), which `MinIO`, Ceph and most other servers expect.
    pub path_style: bool,
    /// Empty = `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` from the environment.
    pub access_key: String,
    pub secret_key: String,
    /// Size (MB) of each node's local cache of objects it served (evicted oldest first).
    pub cache_mb: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            min_free_mb: 100,
            backend: StorageBackend::Filesystem,
            bucket: String::new(),
            prefix: String::new(),
            endpoint: String::new(),
            region: "us-east-1".into(),
            path_style: true,
            access_key: String::new(),
            secret_key: String::new(),
            cache_mb: 2048,
        }
    }
}

impl StorageConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(format!("[storage] {m}")));
        if self.backend == StorageBackend::Filesystem {
            return Ok(());
        }
        if self.bucket.trim().is_empty() {
            return invalid("backend = \"s3\" needs a bucket".into());
        }
        let endpoint_ok = self.endpoint.starts_with("http://") || self.endpoint.starts_with("https://");
        if !self.endpoint.is_empty() && !endpoint_ok {
            return invalid(format!(
                "endpoint = '{}' must start with http:// or https:// (or be empty for AWS)",
                self.endpoint
            ));
        }
        if self.region.trim().is_empty() {
            return invalid("region must not be empty (S3-compatible servers accept \"us-east-1\")".into());
        }
        if self.cache_mb == 0 {
            return invalid("cache_mb must be at least 1".into());
        }
        let (access, secret) = self.credentials();
        if access.is_empty() != secret.is_empty() {
            return invalid("access_key and secret_key must be given together (or both left to AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)".into());
        }
        Ok(())
    }

    /// The key pair: the configured one (file or `GALLEY_STORAGE__*`), else the usual AWS variables.
    pub fn credentials(&self) -> (String, String) {
        let pick = |configured: &str, var: &str| {
            if configured.is_empty() {
                std::env::var(var).unwrap_or_default()
            } else {
                configured.to_owned()
            }
        };
        (pick(&self.access_key, "AWS_ACCESS_KEY_ID"), pick(&self.secret_key, "AWS_SECRET_ACCESS_KEY"))
    }

    /// The prefix as a key folder: `""` or `"some/prefix/"`.
    pub fn key_prefix(&self) -> String {
        let trimmed = self.prefix.trim_matches('/');
        if trimmed.is_empty() {
            String::new()
        } else {
            format!("{trimmed}/")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Config, Overrides};

    fn load(env: &[(&str, &str)]) -> Result<Config, String> {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::load_from(Some(std::path::Path::new("/dev/null")), &env, &Overrides::default())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn s3_keys_come_from_the_environment_layer() {
        let config = load(&[
            ("GALLEY_STORAGE__BACKEND", "s3"),
            ("GALLEY_STORAGE__BUCKET", "b"),
            ("GALLEY_STORAGE__PREFIX", "/feed/"),
            ("GALLEY_STORAGE__ACCESS_KEY", "ak"),
            ("GALLEY_STORAGE__SECRET_KEY", "sk"),
        ])
        .unwrap();
        assert_eq!(config.storage.backend, super::StorageBackend::S3);
        assert_eq!(config.storage.credentials(), ("ak".to_owned(), "sk".to_owned()));
        assert_eq!(config.storage.key_prefix(), "feed/");
        assert_eq!(load(&[]).unwrap().storage.backend, super::StorageBackend::Filesystem);
    }

    #[test]
    fn bad_s3_settings_are_refused_with_the_key_named() {
        let s3 = [("GALLEY_STORAGE__BACKEND", "s3"), ("GALLEY_STORAGE__BUCKET", "b")];
        let with = |extra: (&'static str, &'static str)| load(&[s3[0], s3[1], extra]).unwrap_err();
        assert_eq!(load(&s3[..1]).unwrap_err(), "invalid configuration: [storage] backend = \"s3\" needs a bucket");
        assert_eq!(
            with(("GALLEY_STORAGE__ENDPOINT", "minio:9000")),
            "invalid configuration: [storage] endpoint = 'minio:9000' must start with http:// or https:// (or be empty for AWS)"
        );
        assert_eq!(
            with(("GALLEY_STORAGE__CACHE_MB", "0")),
            "invalid configuration: [storage] cache_mb must be at least 1"
        );
        assert_eq!(
            with(("GALLEY_STORAGE__ACCESS_KEY", "only-this")),
            "invalid configuration: [storage] access_key and secret_key must be given together (or both left to AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        );
        assert_eq!(
            with(("GALLEY_STORAGE__BACKEND", "ftp")).split(':').next().unwrap(),
            "invalid environment variable GALLEY_STORAGE__BACKEND"
        );
    }
}

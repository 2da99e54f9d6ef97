//! Values derived from the configuration: the public URL and where each kind of file lives
//! under `data_dir`.
use super::Config;
use std::path::PathBuf;

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

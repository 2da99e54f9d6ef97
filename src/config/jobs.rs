//! `[jobs]`: when each background job runs.
use serde::{Deserialize, Serialize};

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

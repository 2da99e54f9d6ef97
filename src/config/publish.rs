//! `[publish]`: limits of a push and what DELETE does.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DeleteMode {
    /// nuget.org's behaviour: DELETE hides the version but keeps it restorable.
    Unlist,
    /// Admins' DELETE removes the files; the id+version stays reserved forever.
    Hard,
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

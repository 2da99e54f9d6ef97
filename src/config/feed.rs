//! `[feed]`: who may read the feeds and how long a v2 page is.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FeedConfig {
    /// When true every feed and download route, and every portal page, needs HTTP Basic credentials.
    pub require_auth: bool,
    /// Entries per page in v2 (OData) answers before a `next` link.
    pub v2_page_size: usize,
}

impl Default for FeedConfig {
    fn default() -> Self {
        Self { require_auth: false, v2_page_size: 100 }
    }
}

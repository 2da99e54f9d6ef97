//! `[cache]`: memory kept for answers between requests.
use serde::{Deserialize, Serialize};

/// Memory for answers kept between requests. Every cache is bounded by its size and may be 0
/// (off); together they are most of the server's memory under load.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// Rendered restore documents (flat-container indexes, registrations), in MB.
    pub documents_mb: u64,
    /// Published `.nupkg` files, each up to an eighth of this budget (2 MB by default), in MB.
    pub packages_mb: u64,
    /// Answers computed per request and kept until what they show changes (v2 `FindPackagesById`,
    /// search, autocomplete), in MB.
    pub answers_mb: u64,
    /// Each id's search hit (its latest metadata and listed versions), held beside the search
    /// index so a results page reads no database, in MB. Ids past it (the least downloaded) are
    /// read from the database when a page shows them.
    pub search_mb: u64,
    /// Each id's served versions and where its documents lie in its pack, for the ids served
    /// lately, in MB (~3 KB per id with 5 versions). Past it, an id is read from its pack when asked:
    /// one small file, no SQL.
    pub ids_mb: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self { documents_mb: 24, packages_mb: 16, answers_mb: 16, search_mb: 24, ids_mb: 8 }
    }
}

impl CacheConfig {
    pub fn bytes(mb: u64) -> u64 {
        mb.saturating_mul(1024 * 1024)
    }
}

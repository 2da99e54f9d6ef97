//! What the read-through of `[[upstream]]` feeds keeps in memory: the configured upstreams, each
//! id's version list and rewritten registration documents (trusted for `metadata_ttl_minutes`,
//! served stale while an upstream fails), search pages of `search = true` upstreams, the packages a scan refused, and one fetch lock per id.
//! The decisions are `services::mirror`'s.
use crate::config::Config;
use crate::upstream::Upstream;
use bytes::Bytes;
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Instant;

/// An id's version list as an upstream gave it.
#[derive(Debug, Clone)]
pub struct VersionList {
    /// Index of the upstream in configuration order.
    pub upstream: usize,
    /// Lowercase normalized versions.
    pub versions: Vec<String>,
    pub fetched: Instant,
}

/// A registration document read from an upstream, its URLs pointing at this server.
#[derive(Clone)]
pub struct CachedDocument {
    pub upstream: usize,
    pub bytes: Bytes,
    pub etag: String,
    pub fetched: Instant,
}

/// One page of an upstream's search or autocomplete answer, as it gave it.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub total_hits: usize,
    /// Search results (objects) or autocomplete ids (strings), in the upstream's order.
    pub items: std::sync::Arc<Vec<serde_json::Value>>,
    pub fetched: Instant,
}

pub struct Mirror {
    pub upstreams: Vec<Upstream>,
    pub lists: quick_cache::sync::Cache<String, VersionList>,
    pub documents: quick_cache::sync::Cache<String, CachedDocument>,
    /// Upstream search and autocomplete pages, keyed by upstream and question.
    pub searches: quick_cache::sync::Cache<String, SearchPage>,
    /// `id/version` of upstream packages the scanner refused (also in the audit log): never
    /// fetched again by this process.
    pub refused: Mutex<HashSet<String>>,
    /// Striped: one fetch of an id at a time, so two restores asking at once download it once.
    pub fetch_locks: Vec<tokio::sync::Mutex<()>>,
}

impl Mirror {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let upstreams = config.upstream.iter().cloned().map(Upstream::new).collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            upstreams,
            lists: quick_cache::sync::Cache::new(50_000),
            documents: quick_cache::sync::Cache::new(10_000),
            searches: quick_cache::sync::Cache::new(2_000),
            refused: Mutex::new(HashSet::new()),
            fetch_locks: (0..64).map(|_| tokio::sync::Mutex::new(())).collect(),
        })
    }

    pub fn enabled(&self) -> bool {
        !self.upstreams.is_empty()
    }

    /// Whether any upstream's results join search (`search = true`).
    pub fn searches_upstreams(&self) -> bool {
        self.upstreams.iter().any(|u| u.config.search)
    }

    fn refused_key(id_lower: &str, version_lower: &str) -> String {
        format!("{id_lower}/{version_lower}")
    }

    pub fn is_refused(&self, id_lower: &str, version_lower: &str) -> bool {
        self.refused.lock().is_ok_and(|r| r.contains(&Self::refused_key(id_lower, version_lower)))
    }

    pub fn refuse(&self, id_lower: &str, version_lower: &str) {
        if let Ok(mut r) = self.refused.lock() {
            r.insert(Self::refused_key(id_lower, version_lower));
        }
    }

    pub fn fetch_lock(&self, id_lower: &str) -> &tokio::sync::Mutex<()> {
        let stripe = id_lower.bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b)));
        &self.fetch_locks[stripe % self.fetch_locks.len()]
    }

    /// Per upstream: name and health, for `/health` and the admin page.
    pub fn report(&self) -> Vec<serde_json::Value> {
        self.upstreams
            .iter()
            .map(|u| {
                let mut v = serde_json::to_value(u.health.report()).unwrap_or_default();
                v["name"] = serde_json::Value::from(u.name());
                v
            })
            .collect()
    }
}

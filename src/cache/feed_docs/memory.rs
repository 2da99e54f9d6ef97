//! The memory caches in front of the packs: bounded by the `[cache]` budgets, weighed by size.
use super::{AnswerKey, CachedFile};
use crate::config::CacheConfig;
use bytes::Bytes;
use std::path::PathBuf;

/// A cache of at most `mb` MB; `items_per_mb` is the expected count, which `quick_cache` uses to size
/// its tables (an estimate, not a limit).
pub(super) fn bounded_cache<K, V, W>(mb: u64, items_per_mb: usize, weighter: W) -> quick_cache::sync::Cache<K, V, W>
where
    K: Eq + std::hash::Hash + Clone,
    V: Clone,
    W: quick_cache::Weighter<K, V> + Clone,
{
    let items = usize::try_from(mb).unwrap_or(usize::MAX).saturating_mul(items_per_mb).clamp(16, 1 << 20);
    quick_cache::sync::Cache::with_weighter(items, CacheConfig::bytes(mb), weighter)
}

/// Weighs cached package files by their size.
#[derive(Clone)]
pub(super) struct FileWeight;

impl quick_cache::Weighter<PathBuf, CachedFile> for FileWeight {
    fn weight(&self, _path: &PathBuf, file: &CachedFile) -> u64 {
        file.bytes.len() as u64 + 128
    }
}

/// Weighs cached answers by their size.
#[derive(Clone)]
pub(super) struct AnswerWeight;

impl quick_cache::Weighter<AnswerKey, Bytes> for AnswerWeight {
    fn weight(&self, key: &AnswerKey, bytes: &Bytes) -> u64 {
        (bytes.len() + key.id_lower.len() + key.generation.len() + key.variant.len()) as u64 + 64
    }
}

/// Weighs cached documents by their size.
#[derive(Clone)]
pub(super) struct DocumentWeight;

impl quick_cache::Weighter<PathBuf, Bytes> for DocumentWeight {
    fn weight(&self, _path: &PathBuf, bytes: &Bytes) -> u64 {
        bytes.len() as u64 + 64
    }
}

//! The memory caches in front of the packs: bounded by the `[cache]` budgets, weighed by size.
use super::{AnswerKey, CachedFile, DocSet, Loaded};
use crate::config::CacheConfig;
use bytes::Bytes;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

/// Bytes to keep in a memory cache, in an allocation no larger than they are. The caches weigh an
/// entry by its length and `Bytes` cannot tell its capacity: a document sliced out of its pack's
/// 40 KB body, kept in that body's allocation, made the 24 MB document cache hold 1.4 GB after
/// every id of the 100k-version bench set was asked for once.
pub(super) fn exact(mut bytes: Vec<u8>) -> Bytes {
    bytes.shrink_to_fit();
    Bytes::from(bytes)
}

/// How many parts each cache is split into. `quick_cache` gives each part an equal share of the
/// budget and never admits an entry heavier than its part's share. Its default, four parts per
/// core, gave the 16 MB package cache 64 parts of 256 KB on a 32-core host, where no package
/// over ~248 KB was ever held, and kept 2 MB packages out on two cores. With four parts an entry
/// up to nearly a quarter of the budget fits; a lookup takes its part's lock for reading only, so
/// four do not contend at the worker counts of a server.
const CACHE_PARTS: usize = 4;

/// A cache of at most `mb` MB; `items_per_mb` is the expected count, which `quick_cache` uses to size
/// its tables (an estimate, not a limit).
pub(super) fn bounded_cache<K, V, W>(mb: u64, items_per_mb: usize, weighter: W) -> quick_cache::sync::Cache<K, V, W>
where
    K: Eq + std::hash::Hash + Clone,
    V: Clone,
    W: quick_cache::Weighter<K, V> + Clone,
{
    let items = usize::try_from(mb).unwrap_or(usize::MAX).saturating_mul(items_per_mb).clamp(16, 1 << 20);
    let options = quick_cache::OptionsBuilder::new()
        .estimated_items_capacity(items)
        .weight_capacity(CacheConfig::bytes(mb))
        .shards(CACHE_PARTS)
        .build()
        .expect("both capacities are set");
    let lifecycle = quick_cache::sync::DefaultLifecycle::default();
    quick_cache::sync::Cache::with_options(options, weighter, quick_cache::DefaultHashBuilder::default(), lifecycle)
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

/// Weighs loaded sets by the memory they take (measured once, when loaded).
#[derive(Clone)]
pub(super) struct SetWeight;

impl quick_cache::Weighter<String, Arc<Loaded>> for SetWeight {
    fn weight(&self, id_lower: &String, loaded: &Arc<Loaded>) -> u64 {
        loaded.bytes + allocation(id_lower.len()) as u64
    }
}

/// The memory a set takes: its version lists, its pack's table and its names. ~3 KB for an id
/// with 5 versions, most of it the table (an entry per document).
pub(super) fn set_bytes(set: &DocSet) -> u64 {
    let strings = |list: &HashSet<String>| -> usize {
        // A hash set's slots (a `String` and a control byte each) and every string's allocation.
        list.capacity() * (std::mem::size_of::<String>() + 1) + list.iter().map(|v| allocation(v.len())).sum::<usize>()
    };
    let lists = strings(&set.versions) + strings(&set.readmes) + strings(&set.icons);
    let paths = allocation(set.generation.len())
        + allocation(set.dir.as_os_str().len())
        + set.upstream.as_deref().map_or(0, |u| allocation(u.len()));
    // The set's and the entry's own allocations, the `Arc`s and the cache's slot.
    let own = std::mem::size_of::<DocSet>() + std::mem::size_of::<Loaded>() + 96;
    (lists + paths + own) as u64 + set.table.heap_bytes()
}

/// What the allocator takes for `len` bytes: glibc's chunks are 16-byte aligned with 8 bytes of
/// header and 32 bytes at least.
pub(super) fn allocation(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        (len + 8).next_multiple_of(16).max(32)
    }
}

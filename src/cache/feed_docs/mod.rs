//! Rendered restore-path documents: the flat-container index and the registration documents of
//! every hive. They change only when their package id changes, so they are rendered on that change
//! (push, unlist, relist, delete, validation) into one pack file per generation,
//! `<data-dir>/cache/{id}/{generation}.pack` (format in [`pack`]), and then served like static
//! files: no SQL on the restore path.
//!
//! This file is the public face: looking an id up and reading its documents through the memory
//! caches. [`generations`] renders and switches generations, [`recovery`] keeps the folder
//! trustworthy across crashes, [`memory`] sizes the memory caches.
use crate::config::CacheConfig;
use crate::protocol::urls::{Hive, UrlGenerator};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

mod generations;
mod memory;
pub mod pack;
mod recovery;

#[cfg(test)]
mod memory_tests;
#[cfg(test)]
mod pack_tests;
#[cfg(test)]
mod recovery_tests;

/// What the router needs to know about one id, kept in memory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocSet {
    pub generation: String,
    /// Available versions (lowercase normalized): the only ones whose files are served.
    pub versions: HashSet<String>,
    /// Versions that have an embedded readme / icon file.
    pub readmes: HashSet<String>,
    pub icons: HashSet<String>,
    /// The upstream of a mirrored id: its version list and registration are the upstream's (these
    /// documents hold only the versions fetched so far, served when the upstream is down).
    #[serde(default)]
    pub upstream: Option<String>,
    /// `<cache>/{id}/{generation}`: documents are named by the path they would have as files under
    /// it, so a name carries its generation (and the memory cache never serves a stale one).
    #[serde(skip)]
    pub dir: PathBuf,
    /// Modification time of the `CURRENT` pointer this set was read from or written with.
    #[serde(skip)]
    pub pointer: Option<SystemTime>,
    /// Where each document lies in the pack.
    #[serde(skip)]
    pub table: pack::Table,
}

impl DocSet {
    /// Strong validator for every document of this generation.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.generation)
    }

    pub fn flat_index(&self) -> PathBuf {
        self.dir.join(flat_index_name())
    }

    /// Registration documents: `index`, `page-{lower}-{upper}` or a version; gzip hives end `.json.gz`.
    pub fn registration(&self, hive: Hive, name: &str) -> PathBuf {
        self.dir.join(registration_name(hive, name))
    }

    /// The pack file holding this generation.
    fn pack_path(&self) -> PathBuf {
        self.dir.with_extension(PACK_EXT)
    }
}

/// The name of the flat-container index inside a pack.
fn flat_index_name() -> String {
    "flat.json".to_owned()
}

/// The name of a registration document inside a pack.
fn registration_name(hive: Hive, name: &str) -> String {
    let ext = if hive.gzipped() { "json.gz" } else { "json" };
    format!("{}/{name}.{ext}", hive.path())
}

const PACK_EXT: &str = "pack";

/// A loaded set, when its pointer was last compared with the disk, and the memory it takes.
struct Loaded {
    set: Arc<DocSet>,
    checked_ms: AtomicU64,
    bytes: u64,
}

/// How long a loaded set is trusted before the pointer is checked again. Changes made by this
/// process replace the set at once; this only bounds how late one made by another process
/// (`galley rescan` from a shell) is seen.
const RECHECK_MS: u64 = 1000;

/// An immutable file in memory and its strong validator.
#[derive(Clone)]
pub struct CachedFile {
    pub bytes: Bytes,
    pub etag: String,
}

/// What a cached answer depends on: a new generation (of the id's documents for per-id answers,
/// of the search index for search answers) or a new download-count epoch makes a different key,
/// so a cached answer is never stale.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AnswerKey {
    pub kind: &'static str,
    pub id_lower: String,
    pub generation: String,
    pub variant: String,
    pub downloads_epoch: u64,
}

pub struct FeedDocs {
    root: PathBuf,
    urls: UrlGenerator,
    /// The sets of the ids served lately, up to `[cache] ids_mb`; an id past it is loaded from its
    /// pack again when asked (one small read, no SQL).
    sets: quick_cache::sync::Cache<String, Arc<Loaded>, memory::SetWeight>,
    started: Instant,
    documents: quick_cache::sync::Cache<PathBuf, Bytes, memory::DocumentWeight>,
    /// Answers rendered per request elsewhere (v2 `FindPackagesById`, v3 search and
    /// autocomplete), keyed by what they depend on (see `AnswerKey`).
    answers: quick_cache::sync::Cache<AnswerKey, Bytes, memory::AnswerWeight>,
    /// Published package files (immutable) of up to `largest_file` bytes, with their strong ETag.
    files: quick_cache::sync::Cache<PathBuf, CachedFile, memory::FileWeight>,
    /// An eighth of `[cache] packages_mb`: one file never takes more of the package cache.
    largest_file: u64,
    /// Striped locks: two refreshes of one id must not interleave, or the one that read the
    /// database first could publish its older view last.
    refresh_locks: Vec<Mutex<()>>,
    /// The database, to render a damaged pack again when a read finds one (see `recovery`).
    db: Option<crate::db::Database>,
    /// The `.flushed` marker was there when this process opened the folder.
    flushed_at_open: bool,
    /// Every id was re-rendered by this process (after a start without the marker).
    repaired: AtomicBool,
    /// This process wrote documents (most one-shot commands never do).
    wrote: AtomicBool,
    /// This process's epoch, recorded on an id before its documents are written.
    epoch: i64,
    /// The epoch of the last process that flushed every document and wrote the marker; `None`
    /// when unknown (every id is then suspect after an unclean stop).
    flushed_epoch: Option<i64>,
    /// The database's fingerprint recorded with the marker (see `recovery`).
    flushed_database: Option<String>,
    /// Set at shutdown: background renders stop after the id at hand (the rest stays marked in
    /// the database and is rendered at the next start).
    stopping: AtomicBool,
}

impl FeedDocs {
    pub fn new(root: PathBuf, urls: UrlGenerator, sizes: &CacheConfig) -> std::io::Result<Self> {
        let opened = recovery::Opened::open(&root)?;
        Ok(Self {
            root,
            urls,
            sets: memory::bounded_cache(sizes.ids_mb, 512, memory::SetWeight),
            started: Instant::now(),
            documents: memory::bounded_cache(sizes.documents_mb, 2048, memory::DocumentWeight),
            answers: memory::bounded_cache(sizes.answers_mb, 2048, memory::AnswerWeight),
            files: memory::bounded_cache(sizes.packages_mb, 128, memory::FileWeight),
            largest_file: CacheConfig::bytes(sizes.packages_mb) / 8,
            refresh_locks: (0..64).map(|_| Mutex::new(())).collect(),
            db: None,
            flushed_at_open: opened.flushed_at_open,
            epoch: opened.epoch,
            flushed_epoch: opened.flushed_epoch,
            flushed_database: opened.flushed_database,
            repaired: AtomicBool::new(false),
            wrote: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
        })
    }

    /// Lets a damaged pack found while serving be rendered again from `db` at once (without it,
    /// the id is left for the next start's check).
    #[must_use]
    pub fn with_database(mut self, db: crate::db::Database) -> Self {
        self.db = Some(db);
        self
    }

    /// Hits and misses of each memory cache since start, for the metrics.
    pub fn cache_counts(&self) -> [(&'static str, u64, u64); 4] {
        [
            ("documents", self.documents.hits(), self.documents.misses()),
            ("answers", self.answers.hits(), self.answers.misses()),
            ("packages", self.files.hits(), self.files.misses()),
            ("ids", self.sets.hits(), self.sets.misses()),
        ]
    }

    /// The current documents of an id, or `None` when it has no available version.
    pub fn lookup(&self, id_lower: &str) -> Option<Arc<DocSet>> {
        if !is_safe_name(id_lower) {
            return None;
        }
        self.trusted(id_lower).or_else(|| self.lookup_on_disk(id_lower))
    }

    /// `lookup` for a request handler: a set in memory answers at once; one that must be checked
    /// or read from the disk is looked up on the blocking pool. On a disk busy elsewhere (the 1M
    /// set's start-up sweep) those reads took long enough on the executor's threads that the
    /// other connections of a worker hit actix's 5 s keep-alive and were closed.
    pub async fn lookup_async(self: &Arc<Self>, id_lower: &str) -> Option<Arc<DocSet>> {
        if !is_safe_name(id_lower) {
            return None;
        }
        if let Some(set) = self.trusted(id_lower) {
            return Some(set);
        }
        let (docs, id_lower) = (Arc::clone(self), id_lower.to_owned());
        tokio::task::spawn_blocking(move || docs.lookup_on_disk(&id_lower)).await.ok().flatten()
    }

    /// The loaded set, when it was compared with the disk less than `RECHECK_MS` ago.
    fn trusted(&self, id_lower: &str) -> Option<Arc<DocSet>> {
        let loaded = self.sets.get(id_lower)?;
        let fresh = self.now_ms().saturating_sub(loaded.checked_ms.load(Ordering::Relaxed)) < RECHECK_MS;
        fresh.then(|| loaded.set.clone())
    }

    fn lookup_on_disk(&self, id_lower: &str) -> Option<Arc<DocSet>> {
        // Another process (`galley rescan`, `galley import`) may have re-rendered the id since it
        // was loaded: a quarantined version must vanish from a running server too. The pointer's
        // modification time tells, for one stat a second per id and no SQL.
        let pointer = generations::pointer_time(&self.root.join(id_lower));
        if let Some(loaded) = self.sets.peek(id_lower) {
            if pointer.is_some() && loaded.set.pointer == pointer {
                loaded.checked_ms.store(self.now_ms(), Ordering::Relaxed);
                return Some(loaded.set.clone());
            }
        }
        let Some(set) = pointer.and_then(|_| self.load_or_repair(id_lower)) else {
            self.forget(id_lower);
            return None;
        };
        let set = Arc::new(set);
        self.remember(id_lower, set.clone());
        Some(set)
    }

    /// The id's set from its pack; a damaged pack is rendered again (see `recovery`).
    fn load_or_repair(&self, id_lower: &str) -> Option<DocSet> {
        // A render may replace the pointer and remove the pack it named between the two reads.
        let loaded = self.load_from_disk(id_lower).or_else(|e| {
            if e.is_not_found() {
                self.load_from_disk(id_lower)
            } else {
                Err(e)
            }
        });
        match loaded {
            Ok(set) => Some(set),
            Err(e) if e.is_not_found() => None,
            Err(e) => self.repair_damaged(id_lower, &e),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Keeps a set loaded for a request (the least used one goes when `[cache] ids_mb` is full).
    fn remember(&self, id_lower: &str, set: Arc<DocSet>) {
        self.sets.insert(id_lower.to_owned(), self.loaded(set));
    }

    /// Replaces the id's set only when one is loaded: a render of every id (`galley reindex`, the
    /// hourly job) must not fill the memory with ids nobody asked for, nor push out those asked.
    fn replace_loaded(&self, id_lower: &str, set: Arc<DocSet>) {
        // Err: no set of the id is loaded, so the next lookup reads the new one from disk.
        let _ = self.sets.replace(id_lower.to_owned(), self.loaded(set), true);
    }

    fn loaded(&self, set: Arc<DocSet>) -> Arc<Loaded> {
        let bytes = memory::set_bytes(&set);
        Arc::new(Loaded { set, checked_ms: AtomicU64::new(self.now_ms()), bytes })
    }

    fn loaded_generation(&self, id_lower: &str) -> Option<String> {
        self.sets.peek(id_lower).map(|l| l.set.generation.clone())
    }

    fn forget(&self, id_lower: &str) {
        self.sets.remove(id_lower);
    }

    /// A package file held in memory, if it was served recently.
    pub fn cached_file(&self, path: &Path) -> Option<CachedFile> {
        self.files.get(path)
    }

    /// Whether a package file of `len` bytes is kept in memory once read (`read_file`).
    pub fn holds_file(&self, len: u64) -> bool {
        len <= self.largest_file
    }

    /// Reads an immutable file (a published `.nupkg`) into memory and keeps it there. Requests
    /// that miss the same file together read it once: the first restore of a popular 2 MB package
    /// by a build farm must not read it once per connection.
    pub async fn read_file(&self, path: &Path) -> std::io::Result<CachedFile> {
        self.files
            .get_or_insert_async(path, async {
                let bytes = memory::exact(tokio::fs::read(path).await?);
                let digest = sha2::Sha256::digest(&bytes);
                Ok(CachedFile { etag: format!("\"{}\"", hex::encode(&digest[..16])), bytes })
            })
            .await
    }

    pub fn cached_answer(&self, key: &AnswerKey) -> Option<Bytes> {
        self.answers.get(key)
    }

    /// Keeps an answer until what it shows changes; returns it as served.
    pub fn cache_answer(&self, key: AnswerKey, answer: Vec<u8>) -> Bytes {
        let bytes = memory::exact(answer);
        self.answers.insert(key, bytes.clone());
        bytes
    }

    /// The bytes of a rendered document (a path from [`DocSet::flat_index`] or
    /// [`DocSet::registration`]), from memory when recently served. Paths name their generation,
    /// so a cached document never goes stale. `NotFound` when that generation is gone (a newer one
    /// replaced it) or does not hold the document; a damaged pack is rendered again, never served,
    /// and also reported as `NotFound` so the caller looks the id up again.
    pub async fn read(&self, path: &Path) -> std::io::Result<Bytes> {
        if let Some(bytes) = self.documents.get(path) {
            return Ok(bytes);
        }
        let gone = || std::io::Error::from(std::io::ErrorKind::NotFound);
        let (id_lower, generation, name) = self.split_document_path(path).ok_or_else(gone)?;
        let (pack_path, entry) = self.entry(&id_lower, &generation, &name).ok_or_else(gone)?;
        let read = tokio::task::spawn_blocking(move || pack::read(&pack_path, &entry)).await?;
        match read {
            Ok(bytes) => {
                self.documents.insert(path.to_owned(), bytes.clone());
                Ok(bytes)
            }
            Err(e) if e.is_not_found() => Err(gone()),
            Err(e) => {
                self.repair_damaged(&id_lower, &e);
                Err(gone())
            }
        }
    }

    /// `(id, generation, name in the pack)` of a document path under this folder.
    fn split_document_path(&self, path: &Path) -> Option<(String, String, String)> {
        let mut parts = path.strip_prefix(&self.root).ok()?.iter().map(|p| p.to_str());
        let id_lower = parts.next()??.to_owned();
        let generation = parts.next()??.to_owned();
        let name = parts.collect::<Option<Vec<&str>>>()?.join("/");
        Some((id_lower, generation, name))
    }

    /// Where a document of a generation lies: from the loaded set when it is that generation,
    /// else from the pack's own table (a set replaced between a lookup and its read).
    fn entry(&self, id_lower: &str, generation: &str, name: &str) -> Option<(PathBuf, pack::Entry)> {
        let loaded = self.sets.peek(id_lower).map(|l| l.set.clone());
        if let Some(set) = loaded.filter(|s| s.generation == generation) {
            return Some((set.pack_path(), set.table.get(name)?.clone()));
        }
        let pack_path = generations::pack_path(&self.root.join(id_lower), generation);
        let table = pack::open(&pack_path).ok()?;
        Some((pack_path, table.get(name)?.clone()))
    }
}

fn is_safe_name(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\', '\0'])
}

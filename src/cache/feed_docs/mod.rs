//! Rendered restore-path documents: the flat-container index and the registration documents of
//! every hive. They change only when their package id changes, so they are rendered on that change
//! (push, unlist, relist, delete, validation) into `<data-dir>/cache/{id}/{generation}/` and then
//! served like static files: no SQL on the restore path.
//!
//! A generation folder is complete before the `CURRENT` pointer file is atomically replaced, so a
//! reader sees either the old documents or the new ones, never a mix.
//!
//! The documents are derived from the database, so they are written without an fsync each (two
//! per push cost a sixth of the push rate). What an fsync would guard against, a power loss
//! leaving a pointer to files whose data never reached the disk, is caught instead: a process
//! that renders removes the `.flushed` marker when it starts and writes it back after a `syncfs`
//! when it ends cleanly; a server that finds no marker re-renders in the background the ids that
//! may be torn.
//!
//! Which ids may be torn: every process takes an epoch at start (above the last flushed one) and
//! records it on an id (`packages.docs_epoch`) before it first writes that id's documents. A clean
//! end writes its epoch to `.flushed-epoch` after the `syncfs`, before the marker. After an unclean
//! stop only the ids whose epoch is above the last flushed one were written since that flush;
//! the rest are on disk as the flush left them. Without a `.flushed-epoch` (a folder from before
//! this was recorded) every id is rendered again, as before.
use crate::config::CacheConfig;
use crate::domain::records::PackageRecord;
use crate::error::AppError;
use crate::protocol::urls::{Hive, UrlGenerator};
use crate::protocol::v3;
use bytes::Bytes;
use flate2::{write::GzEncoder, Compression};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;
use std::time::SystemTime;

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
    #[serde(skip)]
    pub dir: PathBuf,
    /// Modification time of the `CURRENT` pointer this set was read from or written with.
    #[serde(skip)]
    pub pointer: Option<SystemTime>,
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
}

/// Where the flat-container index lies inside a generation folder.
fn flat_index_name() -> PathBuf {
    PathBuf::from("flat.json")
}

/// Where a registration document lies inside a generation folder.
fn registration_name(hive: Hive, name: &str) -> PathBuf {
    let ext = if hive.gzipped() { "json.gz" } else { "json" };
    Path::new(hive.path()).join(format!("{name}.{ext}"))
}

/// A loaded set and when its pointer was last compared with the disk.
struct Loaded {
    set: Arc<DocSet>,
    checked_ms: AtomicU64,
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

#[derive(Clone)]
struct FileWeight;

impl quick_cache::Weighter<PathBuf, CachedFile> for FileWeight {
    fn weight(&self, _path: &PathBuf, file: &CachedFile) -> u64 {
        file.bytes.len() as u64 + 128
    }
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
    sets: RwLock<HashMap<String, Arc<Loaded>>>,
    started: Instant,
    documents: quick_cache::sync::Cache<PathBuf, Bytes, DocumentWeight>,
    /// Answers rendered per request elsewhere (v2 `FindPackagesById`, v3 search and
    /// autocomplete), keyed by what they depend on (see `AnswerKey`).
    answers: quick_cache::sync::Cache<AnswerKey, Bytes, AnswerWeight>,
    /// Small published package files (immutable), with their strong ETag.
    files: quick_cache::sync::Cache<PathBuf, CachedFile, FileWeight>,
    /// Striped locks: two refreshes of one id must not interleave, or the one that read the
    /// database first could publish its older view last.
    refresh_locks: Vec<Mutex<()>>,
    /// The `.flushed` marker was there when this process opened the folder.
    flushed_at_open: bool,
    /// Every id was re-rendered by this process (after a start without the marker).
    repaired: std::sync::atomic::AtomicBool,
    /// This process wrote documents (most one-shot commands never do).
    wrote: std::sync::atomic::AtomicBool,
    /// This process's epoch, recorded on an id before its documents are written.
    epoch: i64,
    /// The epoch of the last process that flushed every document and wrote the marker; `None`
    /// when unknown (every id is then suspect after an unclean stop).
    flushed_epoch: Option<i64>,
    /// Set at shutdown: background renders stop after the id at hand (the rest stays marked in
    /// the database and is rendered at the next start).
    stopping: std::sync::atomic::AtomicBool,
}

const META: &str = "meta.json";
const CURRENT: &str = "CURRENT";
/// Present while every rendered file is known to be on disk (see the module comment). Ids never
/// start with a dot, so it cannot collide with an id's folder.
const FLUSHED: &str = ".flushed";
/// The epoch of the process that wrote the marker last (kept while the marker is removed).
const FLUSHED_EPOCH: &str = ".flushed-epoch";

impl FeedDocs {
    pub fn new(root: PathBuf, urls: UrlGenerator, sizes: &CacheConfig) -> std::io::Result<Self> {
        // A new folder holds nothing that could be torn.
        let is_new = !root.exists();
        std::fs::create_dir_all(&root)?;
        // From here on this process may write documents that are not on disk yet.
        let flushed_at_open = std::fs::remove_file(root.join(FLUSHED)).is_ok() || is_new;
        let recorded =
            std::fs::read_to_string(root.join(FLUSHED_EPOCH)).ok().and_then(|s| s.trim().parse::<i64>().ok());
        let flushed_epoch = if is_new { Some(0) } else { recorded };
        // Wall-clock milliseconds keep epochs apart across processes without a shared counter; a
        // clock set back is caught by staying above the last flushed epoch (an id keeps the
        // highest epoch that wrote it, so a late one only makes more ids suspect, never fewer).
        let now_ms = chrono::Utc::now().timestamp_millis();
        let epoch = now_ms.max(flushed_epoch.unwrap_or(0) + 1);
        Ok(Self {
            root,
            urls,
            sets: RwLock::new(HashMap::new()),
            started: Instant::now(),
            documents: bounded_cache(sizes.documents_mb, 2048, DocumentWeight),
            answers: bounded_cache(sizes.answers_mb, 2048, AnswerWeight),
            files: bounded_cache(sizes.packages_mb, 128, FileWeight),
            refresh_locks: (0..64).map(|_| Mutex::new(())).collect(),
            flushed_at_open,
            epoch,
            flushed_epoch,
            repaired: std::sync::atomic::AtomicBool::new(false),
            wrote: std::sync::atomic::AtomicBool::new(false),
            stopping: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// True when the last process that rendered documents did not end cleanly (a crash, a power
    /// loss): some documents may be torn, so the ids it wrote should be rendered again.
    pub fn needs_repair(&self) -> bool {
        !self.flushed_at_open
    }

    /// Records in the database which ids must be rendered again (forced): those written since the
    /// last flush, or every id when that flush is unknown. Recorded so the need survives a stop
    /// half-way; `render_stale` then does the work and resumes after a restart. Returns how many.
    pub fn mark_for_repair(&self, pool: &crate::db::Pool) -> Result<usize, AppError> {
        let conn = pool.get()?;
        let n = match self.flushed_epoch {
            Some(flushed) => crate::db::recovery::force_render_since(&conn, flushed)?,
            None => crate::db::recovery::force_render_all(&conn)?,
        };
        self.repaired.store(true, Ordering::Relaxed);
        Ok(n)
    }

    /// Asks background renders to stop after the id at hand (SIGTERM).
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }

    /// Compares the rendered documents with the database, changing nothing: the id folders no
    /// available version backs, and the ids whose documents are missing or list other versions.
    pub fn compare_with_database(&self, conn: &rusqlite::Connection) -> Result<(Vec<String>, Vec<String>), AppError> {
        let available = crate::db::recovery::available_by_id(conn)?;
        let mut unbacked = Vec::new();
        for entry in std::fs::read_dir(&self.root)?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && entry.path().is_dir() && !available.contains_key(&name) {
                unbacked.push(name);
            }
        }
        let mut stale: Vec<String> = available
            .iter()
            .filter(|(id, versions)| self.load_from_disk(id).is_none_or(|set| &set.versions != *versions))
            .map(|(id, _)| id.clone())
            .collect();
        unbacked.sort();
        stale.sort();
        Ok((unbacked, stale))
    }

    /// Puts the rendered documents in line with the database: folders of ids with no available
    /// version are removed at once (never serve what the database does not back); ids whose
    /// documents are missing or list other versions are marked for rendering. Returns both counts.
    pub fn check_against_database(&self, pool: &crate::db::Pool) -> Result<(usize, usize), AppError> {
        let conn = pool.get()?;
        let (unbacked, stale) = self.compare_with_database(&conn)?;
        for name in &unbacked {
            if let Ok(mut sets) = self.sets.write() {
                sets.remove(name);
            }
            std::fs::remove_dir_all(self.root.join(name))?;
            self.wrote.store(true, Ordering::Relaxed);
        }
        crate::db::recovery::mark_stale(&conn, &stale)?;
        Ok((unbacked.len(), stale.len()))
    }

    /// Hits and misses of each memory cache since start, for the metrics.
    pub fn cache_counts(&self) -> [(&'static str, u64, u64); 3] {
        [
            ("documents", self.documents.hits(), self.documents.misses()),
            ("answers", self.answers.hits(), self.answers.misses()),
            ("packages", self.files.hits(), self.files.misses()),
        ]
    }

    /// Flushes every rendered document to disk and, when they were whole at start (or were all
    /// rendered again since), writes the marker that spares the next start a full render.
    pub fn close(&self) {
        if self.wrote.load(Ordering::Relaxed) {
            let flushed =
                std::fs::File::open(&self.root).and_then(|dir| rustix::fs::syncfs(&dir).map_err(std::io::Error::from));
            if let Err(e) = flushed {
                tracing::warn!(error = %e, "flushing the rendered feed documents failed");
                return;
            }
        }
        if self.flushed_at_open || self.repaired.load(Ordering::Relaxed) {
            // The epoch first: a stop between the two leaves no marker, and the epoch covers only
            // writes the syncfs above flushed.
            if let Err(e) =
                crate::store::fs::write_atomic(&self.root.join(FLUSHED_EPOCH), self.epoch.to_string().as_bytes())
            {
                tracing::warn!(error = %e, "writing the feed documents' flushed epoch failed");
                return;
            }
            if let Err(e) = crate::store::fs::write_atomic(&self.root.join(FLUSHED), b"") {
                tracing::warn!(error = %e, "writing the feed documents' flushed marker failed");
            }
        }
    }

    /// The current documents of an id, or `None` when it has no available version.
    pub fn lookup(&self, id_lower: &str) -> Option<Arc<DocSet>> {
        if !is_safe_name(id_lower) {
            return None;
        }
        let now_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let loaded = self.sets.read().ok()?.get(id_lower).cloned();
        if let Some(loaded) = &loaded {
            if now_ms.saturating_sub(loaded.checked_ms.load(Ordering::Relaxed)) < RECHECK_MS {
                return Some(loaded.set.clone());
            }
        }
        // Another process (`galley rescan`, `galley import`) may have re-rendered the id since it
        // was loaded: a quarantined version must vanish from a running server too. The pointer's
        // modification time tells, for one stat a second per id and no SQL.
        let pointer = pointer_time(&self.root.join(id_lower));
        if let Some(loaded) = loaded {
            if pointer.is_some() && loaded.set.pointer == pointer {
                loaded.checked_ms.store(now_ms, Ordering::Relaxed);
                return Some(loaded.set.clone());
            }
        }
        let Some(set) = pointer.and_then(|_| self.load_from_disk(id_lower)) else {
            if let Ok(mut sets) = self.sets.write() {
                sets.remove(id_lower);
            }
            return None;
        };
        let set = Arc::new(set);
        self.remember(id_lower, set.clone());
        Some(set)
    }

    fn remember(&self, id_lower: &str, set: Arc<DocSet>) {
        let now_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        if let Ok(mut sets) = self.sets.write() {
            sets.insert(id_lower.to_owned(), Arc::new(Loaded { set, checked_ms: AtomicU64::new(now_ms) }));
        }
    }

    /// A package file held in memory, if it was served recently.
    pub fn cached_file(&self, path: &Path) -> Option<CachedFile> {
        self.files.get(path)
    }

    /// Reads an immutable file (a published `.nupkg`) into memory and keeps it there.
    pub async fn read_file(&self, path: &Path) -> std::io::Result<CachedFile> {
        let bytes = Bytes::from(tokio::fs::read(path).await?);
        let digest = sha2::Sha256::digest(&bytes);
        let file = CachedFile { etag: format!("\"{}\"", hex::encode(&digest[..16])), bytes };
        self.files.insert(path.to_owned(), file.clone());
        Ok(file)
    }

    pub fn cached_answer(&self, key: &AnswerKey) -> Option<Bytes> {
        self.answers.get(key)
    }

    pub fn cache_answer(&self, key: AnswerKey, bytes: Bytes) {
        self.answers.insert(key, bytes);
    }

    /// The bytes of a rendered document, from memory when recently served. Paths name their
    /// generation, so a cached document never goes stale.
    pub async fn read(&self, path: &Path) -> std::io::Result<Bytes> {
        if let Some(bytes) = self.documents.get(path) {
            return Ok(bytes);
        }
        let bytes = Bytes::from(tokio::fs::read(path).await?);
        self.documents.insert(path.to_owned(), bytes.clone());
        Ok(bytes)
    }

    fn load_from_disk(&self, id_lower: &str) -> Option<DocSet> {
        let id_dir = self.root.join(id_lower);
        let pointer = pointer_time(&id_dir);
        let generation = std::fs::read_to_string(id_dir.join(CURRENT)).ok()?;
        let dir = id_dir.join(generation.trim());
        let mut set: DocSet = serde_json::from_slice(&std::fs::read(dir.join(META)).ok()?).ok()?;
        set.dir = dir;
        set.pointer = pointer;
        Some(set)
    }

    /// Reads the id from the database and re-renders its documents. Called after every committed
    /// change of the id, before the change is reported as done.
    pub fn refresh(&self, conn: &rusqlite::Connection, id_lower: &str) -> Result<(), AppError> {
        self.refresh_with(conn, id_lower, false)
    }

    fn refresh_with(&self, conn: &rusqlite::Connection, id_lower: &str, force: bool) -> Result<(), AppError> {
        let stripe = id_lower.bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b)))
            % self.refresh_locks.len();
        let _guard = self.refresh_locks[stripe]
            .lock()
            .map_err(|_| AppError::internal(anyhow::anyhow!("render lock poisoned")))?;
        // Read the change count first: a change committed after it makes the id stale again.
        let changes = crate::db::packages::docs_changes(conn, id_lower)?;
        let package = crate::db::packages::load(conn, id_lower)?;
        self.render(conn, id_lower, package.as_ref(), force)?;
        crate::db::packages::mark_rendered(conn, id_lower, changes)?;
        Ok(())
    }

    /// Renders every document of the package (or removes them when nothing is available) and
    /// switches readers over to them.
    ///
    /// A generation is named by the hash of its documents: rendering an id whose documents did not
    /// change (the hourly reindex job, a download-count flush) writes nothing and keeps the ETag,
    /// so clients' cached copies stay valid. `force` rewrites them anyway (repair after an unclean
    /// stop, when files on disk may be torn although their name is right).
    fn render(
        &self,
        conn: &rusqlite::Connection,
        id_lower: &str,
        package: Option<&PackageRecord>,
        force: bool,
    ) -> Result<(), AppError> {
        let id_dir = self.root.join(id_lower);
        let available = package.filter(|p| p.available().next().is_some());
        let Some(package) = available else {
            if let Ok(mut sets) = self.sets.write() {
                sets.remove(id_lower);
            }
            crate::db::packages::mark_writing(conn, id_lower, self.epoch)?;
            self.wrote.store(true, Ordering::Relaxed);
            let _ = std::fs::remove_file(id_dir.join(CURRENT));
            remove_old_generations(&id_dir, None);
            return Ok(());
        };
        let mut set = DocSet {
            generation: String::new(),
            versions: package.available().map(|v| v.version_lower.clone()).collect(),
            readmes: package.available().filter(|v| v.readme_file.is_some()).map(|v| v.version_lower.clone()).collect(),
            icons: package.available().filter(|v| v.icon_file.is_some()).map(|v| v.version_lower.clone()).collect(),
            upstream: package.upstream.clone(),
            dir: PathBuf::new(),
            pointer: None,
        };
        let documents = self.documents_of(package)?;
        let hash = content_hash(&documents, &set);
        let current = std::fs::read_to_string(id_dir.join(CURRENT)).ok().map(|g| g.trim().to_owned());
        if let Some(current) = current.filter(|g| !force && g.split('-').next() == Some(hash.as_str())) {
            if id_dir.join(&current).join(META).exists() {
                if self.lookup(id_lower).is_none_or(|loaded| loaded.generation != current) {
                    // Loaded from disk on the next lookup.
                    if let Ok(mut sets) = self.sets.write() {
                        sets.remove(id_lower);
                    }
                }
                return Ok(());
            }
        }
        // A folder of that name may be left from an earlier render (a crash, or documents that
        // were current before): never rewrite a folder readers may be using.
        let generation = if id_dir.join(&hash).exists() {
            format!("{hash}-{:x}", chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default())
        } else {
            hash
        };
        let dir = id_dir.join(&generation);
        // Before the first byte: a crash after it must find the id among the suspects.
        crate::db::packages::mark_writing(conn, id_lower, self.epoch)?;
        self.wrote.store(true, Ordering::Relaxed);
        set.generation.clone_from(&generation);
        set.dir.clone_from(&dir);
        for hive in Hive::ALL {
            std::fs::create_dir_all(dir.join(hive.path()))?;
        }
        // The whole generation folder becomes visible at once through CURRENT; plain writes suffice.
        for (name, bytes) in &documents {
            std::fs::write(dir.join(name), bytes)?;
        }
        replace_file(&dir.join(META), &serde_json::to_vec(&set).map_err(AppError::internal)?)?;
        replace_file(&id_dir.join(CURRENT), generation.as_bytes())?;
        set.pointer = pointer_time(&id_dir);
        self.remember(id_lower, Arc::new(set));
        remove_old_generations(&id_dir, Some(&generation));
        Ok(())
    }

    /// Every document of the id, by its path inside a generation folder.
    fn documents_of(&self, package: &PackageRecord) -> Result<Vec<(PathBuf, Vec<u8>)>, AppError> {
        let mut documents = vec![(flat_index_name(), encode_json(&v3::flat_index(package), false)?)];
        for hive in Hive::ALL {
            let Some((index, pages)) = v3::registration(&self.urls, hive, package) else {
                continue;
            };
            documents.push((registration_name(hive, "index"), encode_json(&index, hive.gzipped())?));
            for page in &pages {
                let name = format!("page-{}-{}", page.lower, page.upper);
                documents.push((registration_name(hive, &name), encode_json(page, hive.gzipped())?));
            }
            for v in v3::hive_versions(package, hive) {
                let leaf = v3::registration_leaf_document(&self.urls, hive, package, v);
                documents.push((registration_name(hive, &v.version_lower), encode_json(&leaf, hive.gzipped())?));
            }
        }
        Ok(documents)
    }

    /// Re-renders every id from the database (`galley reindex`); ids whose documents did not
    /// change keep them as they are.
    pub fn render_all(&self, pool: &crate::db::Pool) -> Result<usize, AppError> {
        let conn = pool.get()?;
        let ids = crate::db::packages::all_ids(&conn)?;
        let mut done = 0;
        for id in ids.iter().take_while(|_| !self.stopping()) {
            self.refresh(&conn, id)?;
            done += 1;
        }
        Ok(done)
    }

    /// Renders the ids whose documents lag their last change or were marked for a forced render
    /// (start-up repair after a crash); stops early at shutdown. Returns how many it rendered.
    pub fn render_stale(&self, pool: &crate::db::Pool) -> Result<usize, AppError> {
        let conn = pool.get()?;
        // Forced ids have docs_rendered = -1, below any change count: they are among the stale.
        let forced = crate::db::recovery::ids_forced(&conn)?;
        let mut ids = crate::db::packages::ids_with_stale_docs(&conn)?;
        // Ids whose documents lag a change first: those serve wrong answers until rendered; the
        // forced ones are only suspected torn.
        ids.sort_by_key(|id| forced.contains(id));
        let mut done = 0;
        for id in ids.iter().take_while(|_| !self.stopping()) {
            self.refresh_with(&conn, id, forced.contains(id))?;
            done += 1;
        }
        Ok(done)
    }
}

/// A cache of at most `mb` MB; `items_per_mb` is the expected count, which `quick_cache` uses to size
/// its tables (an estimate, not a limit).
fn bounded_cache<K, V, W>(mb: u64, items_per_mb: usize, weighter: W) -> quick_cache::sync::Cache<K, V, W>
where
    K: Eq + std::hash::Hash + Clone,
    V: Clone,
    W: quick_cache::Weighter<K, V> + Clone,
{
    let items = usize::try_from(mb).unwrap_or(usize::MAX).saturating_mul(items_per_mb).clamp(16, 1 << 20);
    quick_cache::sync::Cache::with_weighter(items, CacheConfig::bytes(mb), weighter)
}

fn pointer_time(id_dir: &Path) -> Option<SystemTime> {
    std::fs::metadata(id_dir.join(CURRENT)).and_then(|m| m.modified()).ok()
}

/// Weighs cached answers by their size.
#[derive(Clone)]
struct AnswerWeight;

impl quick_cache::Weighter<AnswerKey, Bytes> for AnswerWeight {
    fn weight(&self, key: &AnswerKey, bytes: &Bytes) -> u64 {
        (bytes.len() + key.id_lower.len() + key.generation.len() + key.variant.len()) as u64 + 64
    }
}

/// Weighs cached documents by their size.
#[derive(Clone)]
struct DocumentWeight;

impl quick_cache::Weighter<PathBuf, Bytes> for DocumentWeight {
    fn weight(&self, _path: &PathBuf, bytes: &Bytes) -> u64 {
        bytes.len() as u64 + 64
    }
}

fn is_safe_name(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\', '\0'])
}

fn encode_json<T: Serialize>(value: &T, gzip: bool) -> Result<Vec<u8>, AppError> {
    let json = serde_json::to_vec(value).map_err(AppError::internal)?;
    if !gzip {
        return Ok(json);
    }
    // Fast level: rendered on every push, and level 1 compresses a registration index within 10% of
    // level 6 (5,044 → 848 vs 775 bytes). The gzip header carries no time: same input, same bytes.
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(&json)?;
    Ok(enc.finish()?)
}

/// Names a generation by what it serves: the documents and the versions whose files are served.
fn content_hash(documents: &[(PathBuf, Vec<u8>)], set: &DocSet) -> String {
    let mut hasher = sha2::Sha256::new();
    for (name, bytes) in documents {
        hasher.update(name.as_os_str().as_encoded_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    hasher.update(set.upstream.as_deref().unwrap_or_default().as_bytes());
    for (label, list) in [("versions", &set.versions), ("readmes", &set.readmes), ("icons", &set.icons)] {
        let mut sorted: Vec<&String> = list.iter().collect();
        sorted.sort();
        hasher.update(label.as_bytes());
        for v in sorted {
            hasher.update(v.as_bytes());
            hasher.update([0]);
        }
    }
    hex::encode(&hasher.finalize()[..8])
}

fn replace_file(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = target.parent().ok_or_else(|| std::io::Error::other("target has no parent"))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(target).map_err(|e| e.error)?;
    Ok(())
}

fn remove_old_generations(id_dir: &Path, keep: Option<&str>) {
    let Ok(entries) = std::fs::read_dir(id_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.path().is_dir() && Some(name.as_ref()) != keep {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(root: &Path) -> FeedDocs {
        FeedDocs::new(root.to_owned(), UrlGenerator::new("http://localhost"), &CacheConfig::default()).unwrap()
    }

    /// A database with the given ids, each with no available version (so a render writes: it
    /// removes the id's documents), and the connection to use.
    fn database(dir: &Path, ids: &[&str]) -> (crate::db::Pool, crate::db::Conn) {
        let pool = crate::db::pool::open(&dir.join("galley.db")).unwrap();
        let conn = pool.get().unwrap();
        for id in ids {
            conn.execute("INSERT INTO packages (package_id, id_lower, created_at) VALUES (?1, ?1, 'now')", [id])
                .unwrap();
        }
        (pool, conn)
    }

    fn forced(conn: &rusqlite::Connection) -> Vec<String> {
        let mut ids: Vec<String> = crate::db::recovery::ids_forced(conn).unwrap().into_iter().collect();
        ids.sort();
        ids
    }

    #[test]
    fn after_an_unclean_stop_only_the_ids_written_since_the_last_flush_are_rendered_again() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("cache");
        let (pool, conn) = database(dir.path(), &["a", "b", "c"]);
        let first = open(&root);
        for id in ["a", "b", "c"] {
            first.refresh(&conn, id).unwrap();
        }
        first.close();

        // A process writes "b" and crashes (no close).
        let crashed = open(&root);
        crashed.refresh(&conn, "b").unwrap();
        drop(crashed);

        let after_crash = open(&root);
        assert!(after_crash.needs_repair());
        assert_eq!(after_crash.mark_for_repair(&pool).unwrap(), 1);
        assert_eq!(forced(&conn), ["b"]);
        assert_eq!(after_crash.render_stale(&pool).unwrap(), 1, "only b is rendered again");
        after_crash.close();
        assert!(!open(&root).needs_repair());
    }

    #[test]
    fn a_process_that_writes_nothing_makes_no_id_suspect() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("cache");
        let (pool, conn) = database(dir.path(), &["a"]);
        let first = open(&root);
        first.refresh(&conn, "a").unwrap();
        first.close();
        drop(open(&root));
        let after_crash = open(&root);
        assert_eq!(after_crash.mark_for_repair(&pool).unwrap(), 0);
        assert!(forced(&conn).is_empty());
    }

    #[test]
    fn without_a_recorded_flush_epoch_every_id_is_rendered_again() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("cache");
        let (pool, conn) = database(dir.path(), &["a", "b"]);
        open(&root).close();
        // A folder closed cleanly before epochs were recorded, then an unclean stop.
        std::fs::remove_file(root.join(FLUSHED_EPOCH)).unwrap();
        drop(open(&root));
        let after_crash = open(&root);
        assert_eq!(after_crash.mark_for_repair(&pool).unwrap(), 2);
        assert_eq!(forced(&conn), ["a", "b"]);
    }

    #[test]
    fn only_a_clean_end_spares_the_next_start_a_full_render() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("cache");
        // A new folder has nothing torn in it.
        let first = open(&root);
        assert!(!first.needs_repair());
        first.close();
        assert!(root.join(FLUSHED).exists());

        // A process that stops without closing (a crash) leaves no marker behind.
        let crashed = open(&root);
        assert!(!root.join(FLUSHED).exists(), "the marker goes while documents may be unflushed");
        drop(crashed);
        let after_crash = open(&root);
        assert!(after_crash.needs_repair());

        // Closing without having re-rendered everything keeps the need for it...
        after_crash.close();
        assert!(open(&root).needs_repair());
        // ...and a full render clears it.
        let repairing = open(&root);
        repairing.repaired.store(true, Ordering::Relaxed);
        repairing.close();
        assert!(!open(&root).needs_repair());
    }
}

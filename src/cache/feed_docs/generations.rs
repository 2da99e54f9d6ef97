//! Rendering an id's documents into a new generation and switching readers over to it.
//!
//! A generation is one pack file, `{id}/{generation}.pack`, complete before the `CURRENT` pointer
//! (a symbolic link to it, which takes no disk block) is atomically replaced: a reader sees either
//! the old pack or the new one, never a mix. Packs are written to a temporary name and renamed, so
//! a pack file under its own name is always whole as written; whether its bytes reached the disk
//! is `recovery`'s business.
use super::{flat_index_name, pack, registration_name, DocSet, FeedDocs, PACK_EXT};
use crate::db::sql::Sql;
use crate::domain::records::PackageRecord;
use crate::error::AppError;
use crate::protocol::urls::Hive;
use crate::protocol::v3;
use serde::Serialize;
use sha2::Digest;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::SystemTime;

pub(super) const CURRENT: &str = "CURRENT";
/// The set itself (versions served, readmes, icons), stored in the pack beside the documents.
/// No document name ends without a hive folder or is `flat.json`, so it cannot collide.
const META: &str = "meta.json";

/// The pack of `generation` in an id's folder.
pub(super) fn pack_path(id_dir: &Path, generation: &str) -> PathBuf {
    id_dir.join(format!("{generation}.{PACK_EXT}"))
}

/// When the id's pointer was last replaced (the link's own time, not its target's).
pub(super) fn pointer_time(id_dir: &Path) -> Option<SystemTime> {
    std::fs::symlink_metadata(id_dir.join(CURRENT)).and_then(|m| m.modified()).ok()
}

/// The generation the pointer names.
fn current_generation(id_dir: &Path) -> Option<String> {
    let target = std::fs::read_link(id_dir.join(CURRENT)).ok()?;
    let name = target.file_name()?.to_str()?;
    Some(name.strip_suffix(&format!(".{PACK_EXT}"))?.to_owned())
}

/// Points the id at `generation`: a link made under a temporary name and renamed over the old one.
fn replace_pointer(id_dir: &Path, generation: &str) -> std::io::Result<()> {
    let tmp = id_dir.join(format!(".tmp-{CURRENT}-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(format!("{generation}.{PACK_EXT}"), &tmp)?;
    std::fs::rename(&tmp, id_dir.join(CURRENT))
}

/// Writes the pack under a temporary name (`.tmp…`, swept at start if a crash leaves it) and
/// renames it to its own.
fn write_pack(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = target.parent().ok_or_else(|| std::io::Error::other("target has no parent"))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    // Readable like the document files before packs (a temp file starts owner-only).
    tmp.as_file().set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))?;
    tmp.write_all(bytes)?;
    tmp.persist(target).map_err(|e| e.error)?;
    Ok(())
}

impl FeedDocs {
    /// The id's current set as its pack describes it.
    pub(super) fn load_from_disk(&self, id_lower: &str) -> Result<DocSet, pack::PackError> {
        let id_dir = self.root.join(id_lower);
        let pointer = pointer_time(&id_dir);
        // Right after an upgrade every id still has the old pointer file until the start-up
        // check renders it again; saying so (not "not found") renders it at its first request.
        if std::fs::symlink_metadata(id_dir.join(CURRENT)).is_ok_and(|m| m.file_type().is_file()) {
            return Err(pack::PackError::Unpacked);
        }
        let generation =
            current_generation(&id_dir).ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))?;
        let path = pack_path(&id_dir, &generation);
        let (table, meta) = pack::open_and_read(&path, META)?;
        let mut set: DocSet = serde_json::from_slice(&meta).map_err(|_| pack::PackError::Table("meta unreadable"))?;
        set.dir = id_dir.join(&generation);
        set.pointer = pointer;
        set.table = table;
        Ok(set)
    }

    /// Reads the id from the database and re-renders its documents. Called after every committed
    /// change of the id, before the change is reported as done.
    pub fn refresh(&self, conn: &dyn Sql, id_lower: &str) -> Result<(), AppError> {
        self.refresh_with(conn, id_lower, false)
    }

    /// The lock two renders of one id (or a render and a removal) take in turn.
    pub(super) fn render_lock(&self, id_lower: &str) -> Result<std::sync::MutexGuard<'_, ()>, AppError> {
        let stripe = id_lower.bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b)))
            % self.refresh_locks.len();
        self.refresh_locks[stripe].lock().map_err(|_| AppError::internal(anyhow::anyhow!("render lock poisoned")))
    }

    pub(super) fn refresh_with(&self, conn: &dyn Sql, id_lower: &str, force: bool) -> Result<(), AppError> {
        let _guard = self.render_lock(id_lower)?;
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
    /// stop or of a damaged pack, when the file may be torn although its name is right).
    fn render(
        &self,
        conn: &dyn Sql,
        id_lower: &str,
        package: Option<&PackageRecord>,
        force: bool,
    ) -> Result<(), AppError> {
        let id_dir = self.root.join(id_lower);
        let available = package.filter(|p| p.available().next().is_some());
        let Some(package) = available else {
            self.forget(id_lower);
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
            table: pack::Table::default(),
        };
        let documents = self.documents_of(package)?;
        let hash = content_hash(&documents, &set);
        let current = current_generation(&id_dir);
        if let Some(current) = current.filter(|g| !force && g.split('-').next() == Some(hash.as_str())) {
            // Unchanged, and whole as far as its offset table tells.
            if pack::open(&pack_path(&id_dir, &current)).is_ok() {
                // Loaded from disk on the next lookup. Not through `lookup`, which may repair and
                // so take this id's render lock, held here.
                if self.loaded_generation(id_lower).is_some_and(|g| g != current) {
                    self.forget(id_lower);
                }
                return Ok(());
            }
        }
        // A pack of that name may be left from an earlier render (a crash, or documents that
        // were current before): never rewrite a file readers may be using.
        let generation = if pack_path(&id_dir, &hash).exists() {
            format!("{hash}-{:x}", chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default())
        } else {
            hash
        };
        // Before the first byte: a crash after it must find the id among the suspects.
        crate::db::packages::mark_writing(conn, id_lower, self.epoch)?;
        self.wrote.store(true, Ordering::Relaxed);
        set.generation.clone_from(&generation);
        set.dir = id_dir.join(&generation);
        let meta = serde_json::to_vec(&set).map_err(AppError::internal)?;
        let mut entries: Vec<(String, &[u8], pack::Storage)> =
            documents.iter().map(|(name, bytes, storage)| (name.clone(), bytes.as_slice(), *storage)).collect();
        entries.push((META.to_owned(), meta.as_slice(), pack::Storage::Plain));
        let bytes = pack::build(&entries)?;
        std::fs::create_dir_all(&id_dir)?;
        let path = pack_path(&id_dir, &generation);
        write_pack(&path, &bytes)?;
        replace_pointer(&id_dir, &generation)?;
        set.table = pack::open(&path).map_err(AppError::internal)?;
        set.pointer = pointer_time(&id_dir);
        self.replace_loaded(id_lower, Arc::new(set));
        remove_old_generations(&id_dir, Some(&generation));
        Ok(())
    }

    /// Every document of the id, by its name in the pack, as JSON: the gzip hives' documents are
    /// kept so in the pack (where they compress with the rest) and gzip-compressed when read.
    fn documents_of(&self, package: &PackageRecord) -> Result<Vec<(String, Vec<u8>, pack::Storage)>, AppError> {
        let kept = |hive: Hive| if hive.gzipped() { pack::Storage::Gzip } else { pack::Storage::Plain };
        let mut documents = vec![(flat_index_name(), encode_json(&v3::flat_index(package))?, pack::Storage::Plain)];
        for hive in Hive::ALL {
            let Some((index, pages)) = v3::registration(&self.urls, hive, package) else {
                continue;
            };
            documents.push((registration_name(hive, "index"), encode_json(&index)?, kept(hive)));
            for page in &pages {
                let name = format!("page-{}-{}", page.lower, page.upper);
                documents.push((registration_name(hive, &name), encode_json(page)?, kept(hive)));
            }
            for v in v3::hive_versions(package, hive) {
                let leaf = v3::registration_leaf_document(&self.urls, hive, package, v);
                documents.push((registration_name(hive, &v.version_lower), encode_json(&leaf)?, kept(hive)));
            }
        }
        Ok(documents)
    }
}

fn encode_json<T: Serialize>(value: &T) -> Result<Vec<u8>, AppError> {
    serde_json::to_vec(value).map_err(AppError::internal)
}

/// Names a generation by what it serves: the documents (as kept, with how they are served) and
/// the versions whose files are served.
fn content_hash(documents: &[(String, Vec<u8>, pack::Storage)], set: &DocSet) -> String {
    let mut hasher = sha2::Sha256::new();
    for (name, bytes, storage) in documents {
        hasher.update(name.as_bytes());
        hasher.update(format!("{storage:?}").as_bytes());
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

/// Removes every generation but `keep`: packs, and the folders of the layout before packs.
pub(super) fn remove_old_generations(id_dir: &Path, keep: Option<&str>) {
    let Ok(entries) = std::fs::read_dir(id_dir) else {
        return;
    };
    let keep = keep.map(|g| format!("{g}.{PACK_EXT}"));
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            let _ = std::fs::remove_dir_all(entry.path());
        } else if kind.is_file() && name.ends_with(&format!(".{PACK_EXT}")) && Some(name.as_ref()) != keep.as_deref() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

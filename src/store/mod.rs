//! Package files. Published files are immutable: written to a temp name, fsynced, then linked into
//! place with create-new semantics, so a crash never leaves a half file at a served path and a
//! racing second writer can never replace the first one's bytes.
pub mod fs;
pub mod guard;
pub mod holding;
pub mod s3;
pub mod sweep;

pub use fs::FsStore;
pub use holding::Holding;

use std::path::{Path, PathBuf};

#[derive(Debug, PartialEq, Eq)]
pub enum PutOutcome {
    Created,
    /// The file was already there with exactly these bytes (a retried or racing push).
    SameBytesExisted,
    /// The file is there with other bytes: this id+version is taken.
    DifferentBytesExist,
}

pub trait PackageStore: Send + Sync {
    /// Stores `nupkg` (a finished temp file) and the extracted nuspec for id+version.
    fn put(&self, id_lower: &str, version_lower: &str, nupkg: &Path, nuspec: &[u8]) -> std::io::Result<PutOutcome>;
    /// `put` without its directory fsyncs: the folders whose new entries are not yet durable are
    /// returned, for the caller to fsync once per batch before the commit that names the files
    /// (`db::group_commit`). Stores with nothing to defer do all of `put` here.
    fn put_deferred(
        &self,
        id_lower: &str,
        version_lower: &str,
        nupkg: &Path,
        nuspec: &[u8],
    ) -> std::io::Result<(PutOutcome, Vec<PathBuf>)> {
        Ok((self.put(id_lower, version_lower, nupkg, nuspec)?, Vec::new()))
    }
    /// Path of the stored `.nupkg` (served with sendfile).
    fn nupkg_path(&self, id_lower: &str, version_lower: &str) -> PathBuf;
    fn nuspec_path(&self, id_lower: &str, version_lower: &str) -> PathBuf;
    /// Stores an extra file of a version (readme, icon, license) beside the package.
    fn put_extra(&self, id_lower: &str, version_lower: &str, name: &str, bytes: &[u8]) -> std::io::Result<()>;
    fn extra_path(&self, id_lower: &str, version_lower: &str, name: &str) -> PathBuf;
    /// Removes one extra file (a symbol file a newer symbol push replaced).
    fn delete_extra(&self, id_lower: &str, version_lower: &str, name: &str) -> std::io::Result<()>;
    /// Removes every file of id+version.
    fn delete(&self, id_lower: &str, version_lower: &str) -> std::io::Result<()>;
    /// Moves the files of an id+version that no database row backs (a crash or a full disk left
    /// them) below `lost_found`, so they neither decide a push nor get lost.
    fn move_aside(&self, id_lower: &str, version_lower: &str, lost_found: &Path) -> std::io::Result<PathBuf>;
    /// True when the paths above are a local cache of files kept elsewhere (`s3`), which a
    /// reader must `fetch` when missing. False for the folder store: a missing file is missing.
    fn is_remote(&self) -> bool {
        false
    }
    /// Brings the file of `path` (one of the paths above) into the local cache from where the
    /// store keeps it. Ok also when the store has no such file: opening the path then fails with
    /// `NotFound`, as with the folder store. Fails when the kept bytes fail their SHA-512 check.
    fn fetch(&self, _path: &Path) -> std::io::Result<()> {
        Ok(())
    }
}

/// `path` of a stored file, fetched into the local cache first when it is kept elsewhere and
/// missing here. For synchronous callers (services, jobs, the command line).
pub fn local(store: &dyn PackageStore, path: PathBuf) -> std::io::Result<PathBuf> {
    if store.is_remote() && !path.exists() {
        store.fetch(&path)?;
    }
    Ok(path)
}

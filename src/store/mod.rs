//! Package files. Published files are immutable: written to a temp name, fsynced, then linked into
//! place with create-new semantics, so a crash never leaves a half file at a served path and a
//! racing second writer can never replace the first one's bytes.
pub mod fs;
pub mod guard;
pub mod holding;
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
    /// Path of the stored `.nupkg` (served with sendfile).
    fn nupkg_path(&self, id_lower: &str, version_lower: &str) -> PathBuf;
    fn nuspec_path(&self, id_lower: &str, version_lower: &str) -> PathBuf;
    /// Stores an extra file of a version (readme, icon, license) beside the package.
    fn put_extra(&self, id_lower: &str, version_lower: &str, name: &str, bytes: &[u8]) -> std::io::Result<()>;
    fn extra_path(&self, id_lower: &str, version_lower: &str, name: &str) -> PathBuf;
    /// Removes every file of id+version.
    fn delete(&self, id_lower: &str, version_lower: &str) -> std::io::Result<()>;
    /// Moves the files of an id+version that no database row backs (a crash or a full disk left
    /// them) below `lost_found`, so they neither decide a push nor get lost.
    fn move_aside(&self, id_lower: &str, version_lower: &str, lost_found: &Path) -> std::io::Result<PathBuf>;
}

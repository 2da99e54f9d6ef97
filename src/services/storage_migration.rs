//! `galley migrate --to-storage s3`: copies every file of a data folder's `packages/` into the
//! bucket (see `store::s3::S3Store::copy_in` for what is skipped and how a copy is verified).
//! Resumable: a second run finds everything there and copies nothing.
use crate::store::s3::{Copied, S3Store};
use crate::store::sweep::version_folders;
use std::path::Path;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct MigrationReport {
    pub copied: usize,
    pub already_there: usize,
    pub bytes_copied: u64,
}

impl std::fmt::Display for MigrationReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} files copied ({} bytes), {} already in the bucket",
            self.copied, self.bytes_copied, self.already_there
        )
    }
}

/// Copies `packages_dir` into `store`; `start` is told the number of files, `step` is called
/// after each one.
pub fn copy_to_bucket(
    packages_dir: &Path,
    store: &S3Store,
    start: &dyn Fn(u64),
    step: &dyn Fn(),
) -> anyhow::Result<MigrationReport> {
    let mut files = Vec::new();
    for (id, version) in version_folders(packages_dir)? {
        let dir = packages_dir.join(&id).join(&version);
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            // Staging files of an interrupted write are not part of the version.
            if entry.file_type()?.is_file() && !name.starts_with(".tmp") {
                files.push((format!("{id}/{version}/{name}"), entry.path()));
            }
        }
    }
    start(files.len() as u64);
    let mut report = MigrationReport::default();
    for (name, path) in &files {
        match store.copy_in(name, path)? {
            Copied::Yes => {
                report.copied += 1;
                report.bytes_copied += std::fs::metadata(path)?.len();
            }
            Copied::AlreadyThere => report.already_there += 1,
        }
        step();
    }
    Ok(report)
}

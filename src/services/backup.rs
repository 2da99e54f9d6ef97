//! `galley backup` and `galley restore`. A backup is a data folder: a consistent snapshot of the
//! database (taken while the server runs and pushes go on), then the package files that snapshot
//! references, hard-linked where the file system allows (package files are immutable, so a link
//! is as good as a copy and costs no space), and the server key. Rendered documents and the
//! search index are derived from the database and rebuilt on restore.
use crate::config::Config;
use crate::db;
use anyhow::Context;
use std::fs;
use std::io;
use std::path::Path;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Version folders the snapshot references that were copied.
    pub versions: usize,
    pub files: usize,
    /// Files hard-linked rather than copied.
    pub linked: usize,
    pub bytes: u64,
    /// Version folders the snapshot references that are not on disk (deleted since, or lost).
    pub missing: Vec<String>,
}

impl std::fmt::Display for CopyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} versions, {} files ({} hard-linked, {} copied, {} bytes)",
            self.versions,
            self.files,
            self.linked,
            self.files - self.linked,
            self.bytes
        )?;
        if !self.missing.is_empty() {
            write!(f, "; {} versions had no files: {}", self.missing.len(), self.missing.join(", "))?;
        }
        Ok(())
    }
}

/// True when `dir` is absent or holds nothing.
pub fn is_empty_dir(dir: &Path) -> io::Result<bool> {
    match fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

fn link_or_copy(src: &Path, dest: &Path, report: &mut CopyReport) -> io::Result<()> {
    report.files += 1;
    report.bytes += fs::metadata(src)?.len();
    if fs::hard_link(src, dest).is_ok() {
        report.linked += 1;
        return Ok(());
    }
    fs::copy(src, dest)?;
    fs::File::open(dest)?.sync_all()
}

/// Copies the package files `versions` names from the data folder `from` into `to`;
/// `tick` is called once per version (a progress bar).
fn copy_versions(from: &Config, to: &Config, versions: &[(String, String)], tick: &dyn Fn()) -> io::Result<CopyReport> {
    let mut report = CopyReport::default();
    for (id, version) in versions {
        let mut found = false;
        for (src_root, dest_root) in [(from.packages_dir(), to.packages_dir()), (from.pending_dir(), to.pending_dir())]
        {
            let src = src_root.join(id).join(version);
            let Ok(entries) = fs::read_dir(&src) else {
                continue;
            };
            let dest = dest_root.join(id).join(version);
            fs::create_dir_all(&dest)?;
            for entry in entries {
                let entry = entry?;
                // Staging files of a write in flight are not part of the version.
                if entry.file_name().to_string_lossy().starts_with(".tmp") || !entry.file_type()?.is_file() {
                    continue;
                }
                link_or_copy(&entry.path(), &dest.join(entry.file_name()), &mut report)?;
            }
            found = true;
        }
        if found {
            report.versions += 1;
        } else {
            report.missing.push(format!("{id} {version}"));
        }
        tick();
    }
    Ok(report)
}

/// The id+versions whose files a backup must hold, from its own snapshot.
fn versions_in(database: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let conn = db::recovery::open_plain(database)?;
    let mut versions: Vec<_> = db::recovery::versions_with_rows(&conn)?.into_iter().collect();
    versions.sort();
    Ok(versions)
}

/// Writes a backup of the data folder of `config` into `dest` (absent or empty). `start` is told
/// how many versions will be copied, `tick` once per version.
pub fn backup(config: &Config, dest: &Path, start: &dyn Fn(u64), tick: &dyn Fn()) -> anyhow::Result<CopyReport> {
    anyhow::ensure!(is_empty_dir(dest)?, "{} is not empty; back up into a new or empty folder", dest.display());
    fs::create_dir_all(dest).with_context(|| format!("creating {}", dest.display()))?;
    let to = Config { data_dir: dest.to_owned(), ..config.clone() };
    let source = db::recovery::open_plain(&config.database_path())?;
    db::recovery::snapshot(&source, &to.database_path()).context("snapshot of the database")?;
    drop(source);
    let versions = versions_in(&to.database_path())?;
    start(versions.len() as u64);
    let report = copy_versions(config, &to, &versions, tick)?;
    fs::copy(config.secret_path(), to.secret_path()).context("copying the server key")?;
    Ok(report)
}

/// Fills the data folder of `config` from the backup in `src`. The folder must be empty unless
/// `force`, which empties it first.
pub fn restore(
    src: &Path,
    config: &Config,
    force: bool,
    start: &dyn Fn(u64),
    tick: &dyn Fn(),
) -> anyhow::Result<CopyReport> {
    let from = Config { data_dir: src.to_owned(), ..config.clone() };
    anyhow::ensure!(from.database_path().is_file(), "{} holds no backup (no galley.db)", src.display());
    let target = &config.data_dir;
    if !is_empty_dir(target)? {
        anyhow::ensure!(
            force,
            "{} is not empty; restore into a new or empty folder, or pass --force to replace what it holds",
            target.display()
        );
        for entry in fs::read_dir(target)? {
            let path = entry?.path();
            if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) }
                .with_context(|| format!("emptying {}", path.display()))?;
        }
    }
    fs::create_dir_all(target)?;
    let integrity = db::recovery::integrity(&db::recovery::open_plain(&from.database_path())?)?;
    anyhow::ensure!(integrity == "ok", "the backup's database is damaged: {integrity}");
    fs::copy(from.database_path(), config.database_path()).context("copying the database")?;
    fs::File::open(config.database_path())?.sync_all()?;
    let versions = versions_in(&config.database_path())?;
    start(versions.len() as u64);
    let report = copy_versions(&from, config, &versions, tick)?;
    if from.secret_path().is_file() {
        fs::copy(from.secret_path(), config.secret_path()).context("copying the server key")?;
    }
    Ok(report)
}

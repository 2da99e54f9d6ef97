//! Tidying the data folder: package folders no row backs go to `lost+found/`, and what a crash or
//! a full disk left half-done (upload temp files, `.tmp*` staging files, empty folders) is removed.
//! Pure file-system work: the caller says which id+versions the database backs.
use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A fresh place below `lost_found` for one version folder of `area` (packages, pending).
fn lost_found_slot(lost_found: &Path, area: &str, id_lower: &str, version_lower: &str) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.fZ");
    lost_found.join(format!("{stamp}")).join(area).join(id_lower).join(version_lower)
}

/// Moves one version folder of `area` below `lost_found`; returns where it went.
pub fn move_version(
    version_dir: &Path,
    area: &str,
    id_lower: &str,
    version_lower: &str,
    lost_found: &Path,
) -> io::Result<PathBuf> {
    let dest = lost_found_slot(lost_found, area, id_lower, version_lower);
    fs::create_dir_all(dest.parent().ok_or_else(|| io::Error::other("no parent"))?)?;
    fs::rename(version_dir, &dest)?;
    Ok(dest)
}

/// The `{id}/{version}` folders below `root`, as (id, version) names.
pub fn version_folders(root: &Path) -> io::Result<Vec<(String, String)>> {
    version_folders_until(root, &|| false)
}

/// `version_folders`, ending early (with what it found so far) once `stop` says so.
fn version_folders_until(root: &Path, stop: &dyn Fn() -> bool) -> io::Result<Vec<(String, String)>> {
    let mut found = Vec::new();
    let Ok(ids) = fs::read_dir(root) else {
        return Ok(found);
    };
    for id in ids {
        if stop() {
            break;
        }
        let id = id?;
        if !id.file_type()?.is_dir() {
            continue;
        }
        let id_name = id.file_name().to_string_lossy().into_owned();
        for version in fs::read_dir(id.path())? {
            let version = version?;
            if version.file_type()?.is_dir() {
                found.push((id_name.clone(), version.file_name().to_string_lossy().into_owned()));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Version folders below `root` with no row in `backed`, last modified within `cutoff`; the walk
/// ends early once `stop` says so.
pub fn orphans<S: std::hash::BuildHasher>(
    root: &Path,
    backed: &HashSet<(String, String), S>,
    cutoff: Cutoff,
    stop: &dyn Fn() -> bool,
) -> io::Result<Vec<(String, String)>> {
    let mut found = version_folders_until(root, stop)?;
    found.retain(|(id, version)| {
        !backed.contains(&(id.clone(), version.clone()))
            && fs::metadata(root.join(id).join(version)).is_ok_and(|meta| cutoff.covers(&meta))
    });
    Ok(found)
}

/// Moves an orphan version folder of `root` (an area of the data folder) below `lost_found`, and
/// its id folder too when that is left empty. Only with nothing in flight (start-up, `check`).
pub fn move_orphan(root: &Path, area: &str, id: &str, version: &str, lost_found: &Path) -> io::Result<PathBuf> {
    let dest = move_version(&root.join(id).join(version), area, id, version, lost_found)?;
    let _ = fs::remove_dir(root.join(id));
    Ok(dest)
}

/// What `remove_leftovers` removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Leftovers {
    pub temp_files: usize,
    pub empty_folders: usize,
}

impl std::ops::AddAssign for Leftovers {
    fn add_assign(&mut self, other: Self) {
        self.temp_files += other.temp_files;
        self.empty_folders += other.empty_folders;
    }
}

/// Which files and folders a sweep may take: all of them (nothing of this process is in flight:
/// before the server takes requests, `galley check`), or only those last modified before a
/// moment (a running server's writes in flight are younger).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cutoff {
    Everything,
    ModifiedBefore(SystemTime),
}

impl Cutoff {
    /// Those last modified more than `age` ago.
    pub fn older_than(age: Duration) -> Self {
        Self::ModifiedBefore(SystemTime::now() - age)
    }

    fn covers(self, meta: &fs::Metadata) -> bool {
        match self {
            Self::Everything => true,
            Self::ModifiedBefore(moment) => meta.modified().is_ok_and(|modified| modified < moment),
        }
    }
}

/// Removes `.tmp*` staging files anywhere below `root` and, when `empty_folders`, the folders
/// left empty, each only within `cutoff`; the walk ends early once `stop` says so.
pub fn remove_leftovers(
    root: &Path,
    cutoff: Cutoff,
    empty_folders: bool,
    stop: &dyn Fn() -> bool,
) -> io::Result<Leftovers> {
    let mut removed = Leftovers::default();
    let Ok(entries) = fs::read_dir(root) else {
        return Ok(removed);
    };
    for entry in entries {
        if stop() {
            break;
        }
        let entry = entry?;
        // Gone since the listing: a running server's write or removal got there first.
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            removed += remove_leftovers(&entry.path(), cutoff, empty_folders, stop)?;
            let now_empty = fs::read_dir(entry.path()).is_ok_and(|mut left| left.next().is_none());
            if empty_folders && now_empty && entry.path().metadata().is_ok_and(|meta| cutoff.covers(&meta)) {
                // A write may have just started filling it: not a reason to stop the sweep.
                if fs::remove_dir(entry.path()).is_ok() {
                    removed.empty_folders += 1;
                }
            }
        } else if entry.file_name().to_string_lossy().starts_with(".tmp") && cutoff.covers(&meta) {
            fs::remove_file(entry.path())?;
            removed.temp_files += 1;
        }
    }
    Ok(removed)
}

/// Empties the upload folder (`tmp/`) of what `cutoff` covers.
pub fn clear_uploads(tmp: &Path, cutoff: Cutoff) -> io::Result<usize> {
    let mut removed = 0;
    let Ok(entries) = fs::read_dir(tmp) else {
        return Ok(0);
    };
    for entry in entries {
        let entry = entry?;
        let Ok(meta) = entry.metadata() else { continue };
        if cutoff.covers(&meta) {
            if meta.is_dir() {
                fs::remove_dir_all(entry.path())?;
            } else {
                fs::remove_file(entry.path())?;
            }
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orphans_move_and_leftovers_go() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("packages");
        for (id, v) in [("a", "1.0.0"), ("a", "2.0.0"), ("b", "1.0.0")] {
            fs::create_dir_all(root.join(id).join(v)).unwrap();
            fs::write(root.join(id).join(v).join(format!("{id}.{v}.nupkg")), b"x").unwrap();
        }
        fs::write(root.join("a/1.0.0/.tmpXYZ"), b"half").unwrap();
        fs::create_dir_all(root.join("c/9.0.0")).unwrap();
        let backed: HashSet<_> = [("a".to_owned(), "1.0.0".to_owned())].into();
        let lost = orphans(&root, &backed, Cutoff::Everything, &|| false).unwrap();
        assert_eq!(lost, [("a".into(), "2.0.0".into()), ("b".into(), "1.0.0".into()), ("c".into(), "9.0.0".into())]);
        let lost_found = dir.path().join("lost+found");
        for (id, version) in &lost[..2] {
            move_orphan(&root, "packages", id, version, &lost_found).unwrap();
        }
        assert!(!root.join("b").exists());
        let left = remove_leftovers(&root, Cutoff::Everything, true, &|| false).unwrap();
        assert_eq!(left, Leftovers { temp_files: 1, empty_folders: 2 });
        assert_eq!(version_folders(&root).unwrap(), [("a".into(), "1.0.0".into())]);
        // A cutoff spares what was written after it: a running server's writes in flight.
        let started = SystemTime::now() - Duration::from_secs(1);
        fs::write(root.join("a/1.0.0/.tmpNEW"), b"in flight").unwrap();
        fs::create_dir_all(root.join("d/1.0.0")).unwrap();
        assert_eq!(
            remove_leftovers(&root, Cutoff::older_than(Duration::from_hours(1)), true, &|| false).unwrap(),
            Leftovers::default()
        );
        assert_eq!(
            remove_leftovers(&root, Cutoff::ModifiedBefore(started), true, &|| false).unwrap(),
            Leftovers::default()
        );
        assert_eq!(orphans(&root, &backed, Cutoff::ModifiedBefore(started), &|| false).unwrap(), []);
        // A walk told to stop finds nothing more.
        assert_eq!(orphans(&root, &backed, Cutoff::Everything, &|| true).unwrap(), []);
    }
}

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
    let mut found = Vec::new();
    let Ok(ids) = fs::read_dir(root) else {
        return Ok(found);
    };
    for id in ids {
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

/// Version folders below `root` with no row in `backed`.
pub fn orphans<S: std::hash::BuildHasher>(
    root: &Path,
    backed: &HashSet<(String, String), S>,
) -> io::Result<Vec<(String, String)>> {
    Ok(version_folders(root)?.into_iter().filter(|key| !backed.contains(key)).collect())
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

fn older_than(meta: &fs::Metadata, min_age: Duration) -> bool {
    min_age.is_zero()
        || meta.modified().ok().and_then(|m| SystemTime::now().duration_since(m).ok()).is_some_and(|age| age >= min_age)
}

/// Removes `.tmp*` staging files anywhere below `root` and, when `empty_folders`, the folders
/// left empty, each only when older than `min_age` (a running server's writes in flight are younger).
pub fn remove_leftovers(root: &Path, min_age: Duration, empty_folders: bool) -> io::Result<Leftovers> {
    let mut removed = Leftovers::default();
    let Ok(entries) = fs::read_dir(root) else {
        return Ok(removed);
    };
    for entry in entries {
        let entry = entry?;
        let meta = entry.metadata()?;
        if meta.is_dir() {
            removed += remove_leftovers(&entry.path(), min_age, empty_folders)?;
            let now_empty = fs::read_dir(entry.path())?.next().is_none();
            if empty_folders && now_empty && older_than(&entry.path().metadata()?, min_age) {
                fs::remove_dir(entry.path())?;
                removed.empty_folders += 1;
            }
        } else if entry.file_name().to_string_lossy().starts_with(".tmp") && older_than(&meta, min_age) {
            fs::remove_file(entry.path())?;
            removed.temp_files += 1;
        }
    }
    Ok(removed)
}

/// Empties the upload folder (`tmp/`) of files older than `min_age`.
pub fn clear_uploads(tmp: &Path, min_age: Duration) -> io::Result<usize> {
    let mut removed = 0;
    let Ok(entries) = fs::read_dir(tmp) else {
        return Ok(0);
    };
    for entry in entries {
        let entry = entry?;
        let meta = entry.metadata()?;
        if older_than(&meta, min_age) {
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
        let lost = orphans(&root, &backed).unwrap();
        assert_eq!(lost, [("a".into(), "2.0.0".into()), ("b".into(), "1.0.0".into()), ("c".into(), "9.0.0".into())]);
        let lost_found = dir.path().join("lost+found");
        for (id, version) in &lost[..2] {
            move_orphan(&root, "packages", id, version, &lost_found).unwrap();
        }
        assert!(!root.join("b").exists());
        let left = remove_leftovers(&root, Duration::ZERO, true).unwrap();
        assert_eq!(left, Leftovers { temp_files: 1, empty_folders: 2 });
        assert_eq!(version_folders(&root).unwrap(), [("a".into(), "1.0.0".into())]);
        // A minimum age spares what was just written.
        fs::write(root.join("a/1.0.0/.tmpNEW"), b"in flight").unwrap();
        assert_eq!(remove_leftovers(&root, Duration::from_hours(1), true).unwrap(), Leftovers::default());
    }
}

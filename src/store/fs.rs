//! File-system package store under `<data-dir>/packages/{id}/{version}/`.
use super::{PackageStore, PutOutcome};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

pub struct FsStore {
    root: PathBuf,
}

impl FsStore {
    pub fn new(root: PathBuf) -> io::Result<Self> {
        fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    /// Ids and versions reach here already parsed; this guard keeps a bug elsewhere from ever
    /// writing outside the store.
    fn version_dir(&self, id_lower: &str, version_lower: &str) -> PathBuf {
        assert!(is_safe_segment(id_lower) && is_safe_segment(version_lower), "unsafe store path segment");
        self.root.join(id_lower).join(version_lower)
    }
}

pub(crate) fn is_safe_segment(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\', '\0'])
}

/// Writes `bytes` to a temp file in `dir`, fsyncs it and renames it over `target`.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = target.parent().ok_or_else(|| io::Error::other("target has no parent"))?;
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(target).map_err(|e| e.error)?;
    Ok(())
}

pub(crate) fn same_contents(a: &Path, b: &Path) -> io::Result<bool> {
    let (mut fa, mut fb) = (File::open(a)?, File::open(b)?);
    if fa.metadata()?.len() != fb.metadata()?.len() {
        return Ok(false);
    }
    let (mut ba, mut bb) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let n = fa.read(&mut ba)?;
        if n == 0 {
            return Ok(true);
        }
        fb.read_exact(&mut bb[..n])?;
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
    }
}

impl PackageStore for FsStore {
    fn put(&self, id_lower: &str, version_lower: &str, nupkg: &Path, nuspec: &[u8]) -> io::Result<PutOutcome> {
        let (outcome, dirs) = self.put_deferred(id_lower, version_lower, nupkg, nuspec)?;
        for dir in dirs {
            File::open(&dir)?.sync_all()?;
        }
        Ok(outcome)
    }

    fn put_deferred(
        &self,
        id_lower: &str,
        version_lower: &str,
        nupkg: &Path,
        nuspec: &[u8],
    ) -> io::Result<(PutOutcome, Vec<PathBuf>)> {
        let dir = self.version_dir(id_lower, version_lower);
        fs::create_dir_all(&dir)?;
        let target = self.nupkg_path(id_lower, version_lower);
        // Copy into the target folder first so the final link is on the same file system.
        let staged = tempfile::NamedTempFile::new_in(&dir).and_then(|mut staged| {
            io::copy(&mut File::open(nupkg)?, staged.as_file_mut())?;
            staged.as_file().sync_all()?;
            Ok(staged)
        });
        // A failed write (a full disk) leaves no empty folders behind: removing a folder fails
        // when it is not empty, so this never takes another version's files.
        let leave_no_folders = |e: io::Error| {
            let _ = fs::remove_dir(&dir);
            let _ = fs::remove_dir(self.root.join(id_lower));
            e
        };
        let staged = staged.map_err(leave_no_folders)?;
        match fs::hard_link(staged.path(), &target) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Ok((
                    if same_contents(&target, staged.path())? {
                        PutOutcome::SameBytesExisted
                    } else {
                        PutOutcome::DifferentBytesExist
                    },
                    Vec::new(),
                ));
            }
            Err(e) => {
                drop(staged);
                return Err(leave_no_folders(e));
            }
        }
        if let Err(e) = write_atomic(&self.nuspec_path(id_lower, version_lower), nuspec) {
            // All or nothing: a package file without its nuspec (a full disk) must not stay
            // behind, nor its folder (the staged copy goes first, so the folder can go).
            let _ = fs::remove_file(&target);
            drop(staged);
            return Err(leave_no_folders(e));
        }
        // The version folder's entries, the id folder's entry for it and the store root's entry
        // for a new id folder: the same id folder and root serve a whole batch.
        Ok((PutOutcome::Created, vec![dir, self.root.join(id_lower), self.root.clone()]))
    }

    fn move_aside(&self, id_lower: &str, version_lower: &str, lost_found: &Path) -> io::Result<PathBuf> {
        super::sweep::move_version(
            &self.version_dir(id_lower, version_lower),
            "packages",
            id_lower,
            version_lower,
            lost_found,
        )
    }

    fn nupkg_path(&self, id_lower: &str, version_lower: &str) -> PathBuf {
        self.version_dir(id_lower, version_lower).join(format!("{id_lower}.{version_lower}.nupkg"))
    }

    fn nuspec_path(&self, id_lower: &str, version_lower: &str) -> PathBuf {
        self.version_dir(id_lower, version_lower).join(format!("{id_lower}.nuspec"))
    }

    fn put_extra(&self, id_lower: &str, version_lower: &str, name: &str, bytes: &[u8]) -> io::Result<()> {
        write_atomic(&self.extra_path(id_lower, version_lower, name), bytes)
    }

    fn extra_path(&self, id_lower: &str, version_lower: &str, name: &str) -> PathBuf {
        assert!(is_safe_segment(name), "unsafe store file name");
        self.version_dir(id_lower, version_lower).join(name)
    }

    fn delete_extra(&self, id_lower: &str, version_lower: &str, name: &str) -> io::Result<()> {
        match fs::remove_file(self.extra_path(id_lower, version_lower, name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn delete(&self, id_lower: &str, version_lower: &str) -> io::Result<()> {
        let dir = self.version_dir(id_lower, version_lower);
        match fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        // Leave no empty id folder behind; failure just means other versions remain.
        let _ = fs::remove_dir(self.root.join(id_lower));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(dir: &Path, bytes: &[u8]) -> PathBuf {
        let p = dir.join(format!("upload-{}", bytes.len()));
        fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn put_is_create_new_and_detects_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::new(dir.path().join("packages")).unwrap();
        let a = temp_file(dir.path(), b"first");
        let b = temp_file(dir.path(), b"second!");
        assert_eq!(store.put("x", "1.0.0", &a, b"<nuspec/>").unwrap(), PutOutcome::Created);
        assert_eq!(store.put("x", "1.0.0", &a, b"<nuspec/>").unwrap(), PutOutcome::SameBytesExisted);
        assert_eq!(store.put("x", "1.0.0", &b, b"<other/>").unwrap(), PutOutcome::DifferentBytesExist);
        assert_eq!(fs::read(store.nupkg_path("x", "1.0.0")).unwrap(), b"first");
        assert_eq!(fs::read(store.nuspec_path("x", "1.0.0")).unwrap(), b"<nuspec/>");
        // No temp files left behind.
        assert_eq!(fs::read_dir(dir.path().join("packages/x/1.0.0")).unwrap().count(), 2);
    }

    #[test]
    fn delete_removes_the_version_folder() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::new(dir.path().join("packages")).unwrap();
        let a = temp_file(dir.path(), b"first");
        store.put("x", "1.0.0", &a, b"n").unwrap();
        store.delete("x", "1.0.0").unwrap();
        assert!(!dir.path().join("packages/x").exists());
        store.delete("x", "1.0.0").unwrap();
    }

    #[test]
    #[should_panic(expected = "unsafe store path segment")]
    fn refuses_path_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::new(dir.path().to_owned()).unwrap();
        let _ = store.nupkg_path("..", "1.0.0");
    }
}

//! Holding areas beside the package store: `<data-dir>/pending/` for uploads waiting for their
//! scan and `<data-dir>/quarantine/` for infected packages kept by `[scan] keep_infected`.
//! No route serves from here: downloads come only from the `PackageStore`, and only for versions
//! in the rendered available set.
use super::fs::is_safe_segment;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub struct Holding {
    root: PathBuf,
}

impl Holding {
    pub fn new(root: PathBuf) -> io::Result<Self> {
        fs::create_dir_all(&root)?;
        // Infected bytes and unscanned uploads are for administrators only.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&root, fs::Permissions::from_mode(0o700))?;
        }
        Ok(Self { root })
    }

    pub fn path(&self, id_lower: &str, version_lower: &str) -> PathBuf {
        assert!(is_safe_segment(id_lower) && is_safe_segment(version_lower), "unsafe holding path segment");
        self.root.join(id_lower).join(version_lower).join(format!("{id_lower}.{version_lower}.nupkg"))
    }

    /// Copies `src` in (temp file, fsync, rename), replacing an earlier copy.
    pub fn put(&self, id_lower: &str, version_lower: &str, src: &Path) -> io::Result<PathBuf> {
        let target = self.path(id_lower, version_lower);
        let dir = target.parent().ok_or_else(|| io::Error::other("no parent"))?;
        fs::create_dir_all(dir)?;
        let mut staged = tempfile::NamedTempFile::new_in(dir)?;
        io::copy(&mut fs::File::open(src)?, staged.as_file_mut())?;
        staged.as_file().sync_all()?;
        staged.persist(&target).map_err(|e| e.error)?;
        self.sync_entries(id_lower, version_lower)?;
        Ok(target)
    }

    /// Create-new: like the package store, an upload never replaces another one's bytes.
    pub fn put_new(&self, id_lower: &str, version_lower: &str, src: &Path) -> io::Result<super::PutOutcome> {
        let target = self.path(id_lower, version_lower);
        let dir = target.parent().ok_or_else(|| io::Error::other("no parent"))?;
        fs::create_dir_all(dir)?;
        let mut staged = tempfile::NamedTempFile::new_in(dir)?;
        io::copy(&mut fs::File::open(src)?, staged.as_file_mut())?;
        staged.as_file().sync_all()?;
        match fs::hard_link(staged.path(), &target) {
            Ok(()) => {
                self.sync_entries(id_lower, version_lower)?;
                Ok(super::PutOutcome::Created)
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                Ok(if super::fs::same_contents(&target, staged.path())? {
                    super::PutOutcome::SameBytesExisted
                } else {
                    super::PutOutcome::DifferentBytesExist
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Makes the new file's name durable: its version folder's entry for it, the id folder's entry
    /// for the version folder and the root's entry for the id folder. Without this, an upload
    /// acknowledged as waiting for its scan (or a package kept in quarantine) could vanish with its
    /// folder after a power loss although its bytes were synced.
    fn sync_entries(&self, id_lower: &str, version_lower: &str) -> io::Result<()> {
        let id_dir = self.root.join(id_lower);
        fs::File::open(id_dir.join(version_lower))?.sync_all()?;
        fs::File::open(&id_dir)?.sync_all()?;
        fs::File::open(&self.root)?.sync_all()
    }

    pub fn contains(&self, id_lower: &str, version_lower: &str) -> bool {
        self.path(id_lower, version_lower).is_file()
    }

    pub fn remove(&self, id_lower: &str, version_lower: &str) -> io::Result<()> {
        let file = self.path(id_lower, version_lower);
        match fs::remove_file(&file) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        // Empty folders only; failure means something else is still held there.
        if let Some(version_dir) = file.parent() {
            let _ = fs::remove_dir(version_dir);
            if let Some(id_dir) = version_dir.parent() {
                let _ = fs::remove_dir(id_dir);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_replace_and_remove() {
        let dir = tempfile::tempdir().unwrap();
        let h = Holding::new(dir.path().join("pending")).unwrap();
        let src = dir.path().join("up");
        fs::write(&src, b"one").unwrap();
        let p = h.put("acme", "1.0.0", &src).unwrap();
        assert_eq!(p, dir.path().join("pending/acme/1.0.0/acme.1.0.0.nupkg"));
        fs::write(&src, b"two").unwrap();
        h.put("acme", "1.0.0", &src).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert!(h.contains("acme", "1.0.0"));
        assert_eq!(h.put_new("acme", "1.0.0", &src).unwrap(), crate::store::PutOutcome::SameBytesExisted);
        fs::write(&src, b"three").unwrap();
        assert_eq!(h.put_new("acme", "1.0.0", &src).unwrap(), crate::store::PutOutcome::DifferentBytesExist);
        assert_eq!(h.put_new("acme", "2.0.0", &src).unwrap(), crate::store::PutOutcome::Created);
        h.remove("acme", "2.0.0").unwrap();
        h.remove("acme", "1.0.0").unwrap();
        h.remove("acme", "1.0.0").unwrap();
        assert!(!dir.path().join("pending/acme").exists());
    }
}

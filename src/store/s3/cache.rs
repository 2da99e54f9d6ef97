//! A node's bounded local copy of the objects it wrote or served (`<data-dir>/object-cache/`,
//! laid out like `packages/`), so that downloads keep going to sendfile. Everything here can be
//! thrown away: a missing file is fetched from the bucket again. When the files add up to more
//! than the budget, the oldest arrivals are removed first (a file being sent keeps its open
//! handle; a request that looks a file up just as it is removed answers 404 and a retry fetches
//! it again).
use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub struct ObjectCache {
    root: PathBuf,
    budget: u64,
    index: Mutex<Index>,
}

#[derive(Default)]
struct Index {
    /// Size and arrival order of each file.
    files: HashMap<PathBuf, (u64, u64)>,
    total: u64,
    next: u64,
}

impl ObjectCache {
    /// Opens the folder, removes staging files a crash left and indexes what is there by age.
    pub fn open(root: PathBuf, budget: u64) -> io::Result<Self> {
        fs::create_dir_all(&root)?;
        let mut found = Vec::new();
        for entry in walkdir::WalkDir::new(&root).into_iter().filter_map(Result::ok) {
            if !entry.file_type().is_file() {
                continue;
            }
            if entry.file_name().to_string_lossy().starts_with(".tmp") {
                let _ = fs::remove_file(entry.path());
                continue;
            }
            let meta = entry.metadata()?;
            found.push((meta.modified().ok(), entry.path().to_owned(), meta.len()));
        }
        found.sort();
        let cache = Self { root, budget, index: Mutex::new(Index::default()) };
        for (_, path, size) in found {
            cache.note(&path, size);
        }
        cache.evict();
        Ok(cache)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes a file (temp name, then rename: a reader never sees half of it) and indexes it.
    pub fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let dir = path.parent().ok_or_else(|| io::Error::other("cache path has no parent"))?;
        fs::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(bytes)?;
        tmp.persist(path).map_err(|e| e.error)?;
        self.note(path, bytes.len() as u64);
        self.evict();
        Ok(())
    }

    /// Copies a finished file into the cache (a push: its first restore needs no fetch).
    pub fn copy_in(&self, path: &Path, from: &Path) -> io::Result<()> {
        let dir = path.parent().ok_or_else(|| io::Error::other("cache path has no parent"))?;
        fs::create_dir_all(dir)?;
        let tmp = tempfile::NamedTempFile::new_in(dir)?;
        let size = fs::copy(from, tmp.path())?;
        tmp.persist(path).map_err(|e| e.error)?;
        self.note(path, size);
        self.evict();
        Ok(())
    }

    pub fn remove(&self, path: &Path) {
        let _ = fs::remove_file(path);
        let mut index = self.index.lock().expect("cache index poisoned");
        if let Some((size, _)) = index.files.remove(path) {
            index.total -= size;
        }
    }

    /// Forgets a whole version folder (the files were moved or deleted).
    pub fn remove_dir(&self, dir: &Path) {
        let _ = fs::remove_dir_all(dir);
        if let Some(parent) = dir.parent() {
            let _ = fs::remove_dir(parent);
        }
        let mut index = self.index.lock().expect("cache index poisoned");
        let gone: Vec<PathBuf> = index.files.keys().filter(|p| p.starts_with(dir)).cloned().collect();
        for path in gone {
            if let Some((size, _)) = index.files.remove(&path) {
                index.total -= size;
            }
        }
    }

    fn note(&self, path: &Path, size: u64) {
        let mut index = self.index.lock().expect("cache index poisoned");
        let order = index.next;
        index.next += 1;
        if let Some((old, _)) = index.files.insert(path.to_owned(), (size, order)) {
            index.total -= old;
        }
        index.total += size;
    }

    /// Over budget: removes the oldest arrivals down to nine tenths of it (so that one arrival
    /// does not sort the index each time). The newest file always stays.
    fn evict(&self) {
        let mut index = self.index.lock().expect("cache index poisoned");
        if index.total <= self.budget {
            return;
        }
        let mut by_age: Vec<(u64, PathBuf, u64)> =
            index.files.iter().map(|(path, (size, order))| (*order, path.clone(), *size)).collect();
        by_age.sort();
        by_age.pop();
        let target = self.budget / 10 * 9;
        for (_, path, size) in by_age {
            if index.total <= target {
                break;
            }
            let _ = fs::remove_file(&path);
            index.files.remove(&path);
            index.total -= size;
        }
    }

    pub fn total_bytes(&self) -> u64 {
        self.index.lock().expect("cache index poisoned").total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_arrivals_go_first_when_over_budget() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ObjectCache::open(dir.path().join("c"), 100).unwrap();
        let (a, b, c) = (dir.path().join("c/x/1/a"), dir.path().join("c/x/1/b"), dir.path().join("c/y/2/c"));
        cache.write(&a, &[1; 40]).unwrap();
        cache.write(&b, &[2; 40]).unwrap();
        assert_eq!(cache.total_bytes(), 80);
        cache.write(&c, &[3; 40]).unwrap();
        assert!(!a.exists() && b.exists() && c.exists());
        assert_eq!(cache.total_bytes(), 80);

        // Reopened: the files on disk are indexed again and staging leftovers removed.
        fs::write(dir.path().join("c/y/2/.tmpXYZ"), b"half").unwrap();
        drop(cache);
        let cache = ObjectCache::open(dir.path().join("c"), 100).unwrap();
        assert_eq!(cache.total_bytes(), 80);
        assert!(!dir.path().join("c/y/2/.tmpXYZ").exists());
        cache.remove_dir(&dir.path().join("c/y/2"));
        assert_eq!(cache.total_bytes(), 40);
        assert!(!dir.path().join("c/y").exists());
    }
}

//! Package files in an S3-compatible bucket (`[storage] backend = "s3"`), under
//! `{prefix}{id}/{version}/{file}` with the same file names as the folder store. The package file
//! is written once (`If-None-Match: *`, after a look for an existing object); every object's
//! SHA-512 is recorded through the `HashLedger` and checked when a node fetches it back into its
//! local cache, which is what the restore path serves (see `cache.rs`).
mod cache;
pub mod ledger;
pub mod remote;

pub use cache::ObjectCache;
pub use ledger::HashLedger;
pub use remote::Remote;

use super::fs::is_safe_segment;
use super::{PackageStore, PutOutcome};
use bytes::Bytes;
use ledger::sha512_hex;
use remote::Created;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct S3Store {
    remote: Remote,
    cache: ObjectCache,
    ledger: Arc<dyn HashLedger>,
    /// `""` or `"prefix/"`.
    prefix: String,
}

/// What a node refuses to serve: the bucket's bytes differ from the recorded ones.
fn corrupt(key: &str, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        crate::error::CorruptObject(format!(
            "The stored file {key} failed its integrity check ({why}), so it is not served; an administrator must restore it in the bucket."
        )),
    )
}

impl S3Store {
    pub fn new(remote: Remote, cache: ObjectCache, ledger: Arc<dyn HashLedger>, prefix: String) -> Self {
        Self { remote, cache, ledger, prefix }
    }

    pub fn remote(&self) -> &Remote {
        &self.remote
    }

    /// `id/version/file`: the ledger's key and the cache's relative path.
    fn name(id_lower: &str, version_lower: &str, file: &str) -> String {
        assert!(
            is_safe_segment(id_lower) && is_safe_segment(version_lower) && is_safe_segment(file),
            "unsafe store path segment"
        );
        format!("{id_lower}/{version_lower}/{file}")
    }

    /// `id/version/`: the folder of one version.
    fn folder(id_lower: &str, version_lower: &str) -> String {
        assert!(is_safe_segment(id_lower) && is_safe_segment(version_lower), "unsafe store path segment");
        format!("{id_lower}/{version_lower}/")
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn local(&self, name: &str) -> PathBuf {
        self.cache.root().join(name)
    }

    /// Writes an object that may be replaced (nuspec, extras) and records its hash.
    fn put_object(&self, name: &str, bytes: &Bytes) -> io::Result<()> {
        let (sha, size) = (sha512_hex(bytes), bytes.len() as u64);
        self.remote.put(&self.key(name), bytes.clone(), false)?;
        self.ledger.record(name, &sha, size)?;
        self.cache.write(&self.local(name), bytes)
    }

    /// The bucket's bytes of `name`, checked against the recorded hash; `None` when absent.
    fn fetch_verified(&self, name: &str) -> io::Result<Option<Bytes>> {
        let Some(bytes) = self.remote.get(&self.key(name))? else {
            return Ok(None);
        };
        let Some((sha, size)) = self.ledger.expected(name)? else {
            return Err(corrupt(name, "no SHA-512 is recorded for it"));
        };
        if bytes.len() as u64 != size {
            return Err(corrupt(name, &format!("{} bytes in the bucket, {size} recorded", bytes.len())));
        }
        if sha512_hex(&bytes) != sha {
            return Err(corrupt(name, "its SHA-512 differs from the recorded one"));
        }
        Ok(Some(bytes))
    }

    /// Whether the package already in the bucket has exactly these bytes.
    fn same_package(&self, name: &str, sha: &str) -> io::Result<bool> {
        if let Some((recorded, _)) = self.ledger.expected(name)? {
            return Ok(recorded == sha);
        }
        // Written but not recorded (a crash between the two): compare the bytes themselves.
        Ok(self.remote.get(&self.key(name))?.is_some_and(|b| sha512_hex(&b) == sha))
    }
}

/// What `copy_in` did with one file of a data folder.
#[derive(Debug, PartialEq, Eq)]
pub enum Copied {
    /// Written, read back and found identical, and recorded.
    Yes,
    /// The bucket already had these bytes, recorded (a resumed migration).
    AlreadyThere,
}

impl S3Store {
    /// Copies one file of a folder store (`name` = `id/version/file`) into the bucket, for
    /// `galley migrate --to-storage s3`: skipped when the recorded SHA-512 and the object's size
    /// already match, verified by reading the object back. A package file that the bucket holds
    /// with other bytes is refused, never replaced.
    pub fn copy_in(&self, name: &str, file: &Path) -> io::Result<Copied> {
        let bytes = Bytes::from(std::fs::read(file)?);
        let (sha, size) = (sha512_hex(&bytes), bytes.len() as u64);
        let key = self.key(name);
        let recorded = self.ledger.expected(name)?;
        let in_bucket = self.remote.head(&key)?;
        if in_bucket == Some(size) && recorded.as_ref().is_some_and(|(s, n)| *s == sha && *n == size) {
            return Ok(Copied::AlreadyThere);
        }
        if in_bucket.is_some() {
            // There but not (or differently) recorded: an interrupted run, or another install's.
            let there = self.remote.get(&key)?.map(|b| sha512_hex(&b));
            if there.as_deref() == Some(sha.as_str()) {
                self.ledger.record(name, &sha, size)?;
                return Ok(Copied::AlreadyThere);
            }
            if Path::new(name).extension().is_some_and(|e| e.eq_ignore_ascii_case("nupkg")) {
                return Err(io::Error::other(format!(
                    "{key} is already in the {} with other bytes; it was not replaced",
                    self.remote.place()
                )));
            }
        }
        self.remote.put(&key, bytes, false)?;
        let back = self.remote.get(&key)?.map(|b| sha512_hex(&b));
        if back.as_deref() != Some(sha.as_str()) {
            return Err(io::Error::other(format!(
                "{key}: the copy read back from the bucket differs from {}",
                file.display()
            )));
        }
        self.ledger.record(name, &sha, size)?;
        Ok(Copied::Yes)
    }
}

impl PackageStore for S3Store {
    fn put(&self, id_lower: &str, version_lower: &str, nupkg: &Path, nuspec: &[u8]) -> io::Result<PutOutcome> {
        let name = Self::name(id_lower, version_lower, &format!("{id_lower}.{version_lower}.nupkg"));
        let bytes = Bytes::from(std::fs::read(nupkg)?);
        let sha = sha512_hex(&bytes);
        let existing = |store: &Self| {
            Ok(if store.same_package(&name, &sha)? {
                PutOutcome::SameBytesExisted
            } else {
                PutOutcome::DifferentBytesExist
            })
        };
        // Look first (servers that ignore If-None-Match still keep the first bytes), then create.
        if self.remote.head(&self.key(&name))?.is_some() {
            return existing(self);
        }
        if self.remote.put(&self.key(&name), bytes.clone(), true)? == Created::AlreadyThere {
            return existing(self);
        }
        let nuspec_name = Self::name(id_lower, version_lower, &format!("{id_lower}.nuspec"));
        let finished = self
            .ledger
            .record(&name, &sha, bytes.len() as u64)
            .and_then(|()| self.put_object(&nuspec_name, &Bytes::copy_from_slice(nuspec)));
        if let Err(e) = finished {
            // All or nothing, as in the folder store: no package object without its nuspec.
            let _ = self.remote.delete(&self.key(&name));
            let _ = self.ledger.forget(&name, false);
            return Err(e);
        }
        // Best effort: the first restore of a fresh push then needs no fetch.
        if let Err(e) = self.cache.copy_in(&self.local(&name), nupkg) {
            tracing::warn!(error = %e, "could not keep a pushed package in the local object cache");
        }
        Ok(PutOutcome::Created)
    }

    fn nupkg_path(&self, id_lower: &str, version_lower: &str) -> PathBuf {
        self.local(&Self::name(id_lower, version_lower, &format!("{id_lower}.{version_lower}.nupkg")))
    }

    fn nuspec_path(&self, id_lower: &str, version_lower: &str) -> PathBuf {
        self.local(&Self::name(id_lower, version_lower, &format!("{id_lower}.nuspec")))
    }

    fn put_extra(&self, id_lower: &str, version_lower: &str, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.put_object(&Self::name(id_lower, version_lower, name), &Bytes::copy_from_slice(bytes))
    }

    fn extra_path(&self, id_lower: &str, version_lower: &str, name: &str) -> PathBuf {
        self.local(&Self::name(id_lower, version_lower, name))
    }

    fn delete_extra(&self, id_lower: &str, version_lower: &str, name: &str) -> io::Result<()> {
        let name = Self::name(id_lower, version_lower, name);
        self.remote.delete(&self.key(&name))?;
        self.ledger.forget(&name, false)?;
        self.cache.remove(&self.local(&name));
        Ok(())
    }

    fn delete(&self, id_lower: &str, version_lower: &str) -> io::Result<()> {
        let folder = Self::folder(id_lower, version_lower);
        for key in self.remote.list(&self.key(&folder))? {
            self.remote.delete(&key)?;
        }
        self.ledger.forget(&folder, true)?;
        self.cache.remove_dir(&self.local(&folder));
        Ok(())
    }

    fn move_aside(&self, id_lower: &str, version_lower: &str, lost_found: &Path) -> io::Result<PathBuf> {
        // The objects come down into the cache folder, which then moves to lost+found as a whole.
        let folder = Self::folder(id_lower, version_lower);
        for key in self.remote.list(&self.key(&folder))? {
            let name = key.strip_prefix(&self.prefix).unwrap_or(&key).to_owned();
            if let Some(bytes) = self.remote.get(&key)? {
                self.cache.write(&self.local(&name), &bytes)?;
            }
        }
        let dir = self.local(&folder);
        std::fs::create_dir_all(&dir)?;
        let dest = super::sweep::move_version(&dir, "packages", id_lower, version_lower, lost_found)?;
        self.delete(id_lower, version_lower)?;
        Ok(dest)
    }

    fn is_remote(&self) -> bool {
        true
    }

    fn fetch(&self, path: &Path) -> io::Result<()> {
        let Ok(relative) = path.strip_prefix(self.cache.root()) else {
            return Ok(());
        };
        let name = relative.to_string_lossy().into_owned();
        match self.fetch_verified(&name) {
            Ok(Some(bytes)) => self.cache.write(path, &bytes),
            Ok(None) => Ok(()),
            Err(e) => {
                tracing::error!(object = %self.key(&name), error = %e, "refused an object fetched from the bucket");
                Err(e)
            }
        }
    }
}

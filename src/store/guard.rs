//! Watches the data folder under a running server: a folder deleted, replaced or unmounted, a
//! database file swapped, a read-only or full file system. Writes ask it first, so a push is
//! refused with a clear message instead of landing in a folder nobody will see again, and
//! `/health` reports the same state.
use crate::error::AppError;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Device and inode: what stays the same while a path names the same file.
type Identity = (u64, u64);

fn identity(path: &Path) -> std::io::Result<Identity> {
    let meta = std::fs::metadata(path)?;
    Ok((meta.dev(), meta.ino()))
}

pub struct DataDirGuard {
    dir: PathBuf,
    dir_id: Identity,
    /// The SQLite file and its identity; `None` on PostgreSQL, whose files are the server's.
    database: Option<(PathBuf, Identity)>,
    min_free_bytes: u64,
    /// A file of `RESERVE_BYTES` kept in the data folder: deleting it frees room to take back a
    /// committed push when the disk filled up under its documents (see `release_reserve`).
    reserve: PathBuf,
}

const RESERVE_BYTES: usize = 2 * 1024 * 1024;

/// The data folder as a writer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskState {
    Ok {
        free_bytes: u64,
    },
    /// Below `[storage] min_free_mb`.
    LowSpace {
        free_bytes: u64,
    },
    ReadOnly,
    /// The folder or the database file is gone or another one took its place.
    Replaced(String),
}

impl DiskState {
    pub fn label(&self) -> &'static str {
        match self {
            DiskState::Ok { .. } => "ok",
            DiskState::LowSpace { .. } => "low-space",
            DiskState::ReadOnly => "read-only",
            DiskState::Replaced(_) => "replaced",
        }
    }
}

impl DataDirGuard {
    /// Records which folder and database file (SQLite's; `None` on PostgreSQL) this process opened.
    pub fn new(dir: &Path, database: Option<&Path>, min_free_mb: u64) -> std::io::Result<Self> {
        Ok(Self {
            dir: dir.to_owned(),
            dir_id: identity(dir)?,
            database: database.map(|d| Ok::<_, std::io::Error>((d.to_owned(), identity(d)?))).transpose()?,
            min_free_bytes: min_free_mb.saturating_mul(1024 * 1024),
            reserve: dir.join("reserved-space"),
        })
    }

    /// Writes the reserve file when it is missing and the disk has room for it; true when it is
    /// in place.
    pub fn keep_reserve(&self) -> bool {
        if self.reserve.exists() {
            return true;
        }
        match crate::store::fs::write_atomic(&self.reserve, &vec![0u8; RESERVE_BYTES]) {
            Ok(()) => true,
            Err(e) => {
                tracing::debug!(error = %e, "no room for the reserve file yet");
                false
            }
        }
    }

    /// Frees the reserve so an undo can be written on a full disk; true when there was one.
    pub fn release_reserve(&self) -> bool {
        let released = std::fs::remove_file(&self.reserve).is_ok();
        if released {
            tracing::warn!("released the data folder's reserved space to take back a push on a full disk");
        }
        released
    }

    pub fn min_free_bytes(&self) -> u64 {
        self.min_free_bytes
    }

    /// A few system calls: cheap enough for every push and every health check.
    pub fn state(&self) -> DiskState {
        let database = self.database.as_ref().map(|(path, id)| (path, *id, "database file"));
        for (path, expected, what) in std::iter::once((&self.dir, self.dir_id, "data folder")).chain(database) {
            match identity(path) {
                Ok(found) if found == expected => {}
                Ok(_) => return DiskState::Replaced(format!("the {what} {} was replaced", path.display())),
                Err(_) => return DiskState::Replaced(format!("the {what} {} is gone", path.display())),
            }
        }
        let Ok(stat) = rustix::fs::statvfs(&self.dir) else {
            return DiskState::Replaced(format!("the data folder {} cannot be read", self.dir.display()));
        };
        if stat.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY) {
            return DiskState::ReadOnly;
        }
        let free_bytes = stat.f_bavail.saturating_mul(stat.f_frsize);
        if free_bytes < self.min_free_bytes {
            DiskState::LowSpace { free_bytes }
        } else {
            DiskState::Ok { free_bytes }
        }
    }

    /// Refuses a write of about `incoming` bytes that the data folder cannot take now.
    pub fn check_writable(&self, incoming: u64) -> Result<(), AppError> {
        match self.state() {
            // Without its reserve, a push whose documents fail could not be taken back.
            DiskState::Ok { free_bytes }
                if free_bytes >= self.min_free_bytes.saturating_add(incoming) && self.keep_reserve() =>
            {
                Ok(())
            }
            DiskState::Ok { free_bytes } | DiskState::LowSpace { free_bytes } => {
                tracing::error!(
                    free_mb = free_bytes / (1024 * 1024),
                    min_free_mb = self.min_free_bytes / (1024 * 1024),
                    "too little free space in the data folder for this write ([storage] min_free_mb plus its size); refused"
                );
                Err(AppError::InsufficientStorage(crate::error::DISK_FULL.into()))
            }
            DiskState::ReadOnly => {
                tracing::error!(dir = %self.dir.display(), "the data folder is on a read-only file system");
                Err(AppError::unavailable(
                    "The server cannot store anything now: its data folder is read-only. Try again after an administrator has fixed it.",
                ))
            }
            DiskState::Replaced(what) => {
                tracing::error!(problem = %what, "the data folder changed under the running server; writes are refused until it restarts");
                Err(AppError::unavailable(
                    "The server's data folder was removed or replaced while it ran; nothing was stored. An administrator must restore it and restart the server.",
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_folder_or_database_refuses_writes() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let db = data.join("galley.db");
        std::fs::write(&db, b"x").unwrap();
        let guard = DataDirGuard::new(&data, Some(&db), 0).unwrap();
        assert!(matches!(guard.state(), DiskState::Ok { .. }));
        guard.check_writable(1).unwrap();

        // Another file put in its place (written while the first exists, so never its inode).
        let other = data.join("other.db");
        std::fs::write(&other, b"x").unwrap();
        std::fs::rename(&other, &db).unwrap();
        assert!(
            matches!(guard.state(), DiskState::Replaced(ref w) if w.contains("database file")),
            "{:?}",
            guard.state()
        );
        assert_eq!(
            guard.check_writable(1).unwrap_err().to_string().split(';').next().unwrap(),
            "The server's data folder was removed or replaced while it ran"
        );

        std::fs::remove_dir_all(&data).unwrap();
        assert!(matches!(guard.state(), DiskState::Replaced(ref w) if w.contains("gone")));
    }

    #[test]
    fn too_little_free_space_refuses_writes() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("galley.db");
        std::fs::write(&db, b"x").unwrap();
        let guard = DataDirGuard::new(dir.path(), Some(&db), u64::MAX / (1024 * 1024)).unwrap();
        assert!(matches!(guard.state(), DiskState::LowSpace { .. }));
        assert!(matches!(guard.check_writable(0), Err(AppError::InsufficientStorage(_))));
    }
}

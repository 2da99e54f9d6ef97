//! Opens the package store `[storage] backend` names. For "s3" it checks the bucket at once, so a
//! wrong endpoint, a missing bucket or refused credentials stop the start with a message naming
//! the problem, and it answers the store's `HashLedger` from the database.
use crate::config::{Config, StorageBackend};
use crate::db::Database;
use crate::store::s3::{HashLedger, ObjectCache, Remote, S3Store};
use crate::store::{FsStore, PackageStore};
use std::io;
use std::sync::Arc;

/// `stored_objects` through the database handle.
pub struct DbLedger(pub Database);

fn io_error(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl HashLedger for DbLedger {
    fn record(&self, key: &str, sha512_hex: &str, size: u64) -> io::Result<()> {
        crate::db::stored_objects::record(&self.0.connection().map_err(io_error)?, key, sha512_hex, size)
            .map_err(io_error)
    }
    fn expected(&self, key: &str) -> io::Result<Option<(String, u64)>> {
        crate::db::stored_objects::find(&self.0.connection().map_err(io_error)?, key).map_err(io_error)
    }
    fn forget(&self, key: &str, folder: bool) -> io::Result<()> {
        crate::db::stored_objects::forget(&self.0.connection().map_err(io_error)?, key, folder).map_err(io_error)
    }
}

/// The bucket's store, checked; used by `serve` and by `galley migrate --to-storage s3`.
pub fn open_s3(config: &Config, db: &Database) -> anyhow::Result<S3Store> {
    let storage = &config.storage;
    let remote = Remote::connect(storage)?;
    remote.check(&storage.key_prefix()).map_err(anyhow::Error::msg)?;
    let budget = crate::config::CacheConfig::bytes(storage.cache_mb);
    let cache = ObjectCache::open(config.object_cache_dir(), budget)?;
    Ok(S3Store::new(remote, cache, Arc::new(DbLedger(db.clone())), storage.key_prefix()))
}

pub fn open(config: &Config, db: &Database) -> anyhow::Result<Arc<dyn PackageStore>> {
    Ok(match config.storage.backend {
        StorageBackend::Filesystem => Arc::new(FsStore::new(config.packages_dir())?),
        StorageBackend::S3 => {
            let store = open_s3(config, db)?;
            tracing::info!(place = %store.remote().place(), "package files are kept in S3");
            Arc::new(store)
        }
    })
}

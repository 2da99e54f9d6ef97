//! Download counts, batched in memory so the restore path never writes to the database.
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct DownloadCounter {
    /// Pending counts by id, then version.
    pending: Mutex<HashMap<String, HashMap<String, u64>>>,
    /// Bumped by every flush that wrote counts: answers that show download counts and are
    /// cached (v2 `FindPackagesById`) are keyed by it, so they refresh once per flush.
    epoch: std::sync::atomic::AtomicU64,
}

impl DownloadCounter {
    pub fn record(&self, id_lower: &str, version_lower: &str) {
        if let Ok(mut map) = self.pending.lock() {
            // Keyed by id, then version: a repeat download (the common case) finds its counter
            // without allocating, and the lock is held for two lookups.
            if let Some(n) = map.get_mut(id_lower).and_then(|versions| versions.get_mut(version_lower)) {
                *n += 1;
            } else {
                *map.entry(id_lower.to_owned()).or_default().entry(version_lower.to_owned()).or_default() += 1;
            }
        }
    }

    pub fn take(&self) -> HashMap<(String, String), u64> {
        let by_id = self.pending.lock().map(|mut m| std::mem::take(&mut *m)).unwrap_or_default();
        by_id
            .into_iter()
            .flat_map(|(id, versions)| versions.into_iter().map(move |(version, n)| ((id.clone(), version), n)))
            .collect()
    }

    /// Writes the pending counts in one transaction; returns how many downloads were written.
    pub fn flush(&self, db: &crate::db::Database) -> Result<u64, crate::error::AppError> {
        let pending = self.take();
        if pending.is_empty() {
            return Ok(0);
        }
        let total = db.connection()?.write(|tx| {
            let mut total = 0;
            for ((id, version), n) in &pending {
                crate::db::packages::add_downloads(tx, id, version, *n)?;
                total += n;
            }
            // Search answers show download counts and rank by them: bump the generation, and tell
            // the in-memory index which packages' counts moved.
            crate::db::search::bump_generation(tx)?;
            let ids: std::collections::BTreeSet<&str> = pending.keys().map(|(id, _)| id.as_str()).collect();
            for id in ids {
                crate::db::search::note_change_by_id(tx, id)?;
            }
            Ok(total)
        })?;
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(total)
    }

    pub fn epoch(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::Relaxed)
    }
}

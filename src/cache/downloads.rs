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

    /// Counts taken by a flush whose write failed go back, added to those recorded meanwhile, so
    /// the next flush writes them: a full disk or a busy database delays counts, never loses them.
    fn put_back(&self, counts: HashMap<(String, String), u64>) {
        if let Ok(mut map) = self.pending.lock() {
            for ((id, version), n) in counts {
                *map.entry(id).or_default().entry(version).or_default() += n;
            }
        }
    }

    /// Writes the pending counts in one transaction; returns how many downloads were written.
    /// When the write fails, the counts are kept for the next flush.
    pub fn flush(&self, db: &crate::db::Database) -> Result<u64, crate::error::AppError> {
        let pending = self.take();
        if pending.is_empty() {
            return Ok(0);
        }
        let written = self.write(db, &pending);
        if written.is_err() {
            self.put_back(pending);
        }
        written
    }

    fn write(
        &self,
        db: &crate::db::Database,
        pending: &HashMap<(String, String), u64>,
    ) -> Result<u64, crate::error::AppError> {
        let total = db.connection()?.write(|tx| {
            let mut total = 0;
            for ((id, version), n) in pending {
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

#[cfg(test)]
mod tests {
    use super::DownloadCounter;
    use crate::db::sql::Sql;
    use crate::db::Database;
    use crate::values;

    /// A flush whose write fails keeps its counts; the next one writes them together with the
    /// downloads recorded in between.
    #[test]
    fn a_failed_flush_keeps_its_counts_for_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let clock = crate::domain::clock::Clock::system();
        let db = Database::sqlite(crate::db::open(&dir.path().join("galley.db"), &clock).unwrap());
        let counter = DownloadCounter::default();
        counter.record("acme", "1.0.0");
        counter.record("acme", "1.0.0");
        counter.record("other", "2.0.0");
        // Make the write fail: the table the counts go to is gone for a moment.
        let conn = db.connection().unwrap();
        let sql: &dyn Sql = &conn;
        sql.execute("ALTER TABLE package_versions RENAME TO package_versions_away", values![]).unwrap();
        assert!(counter.flush(&db).is_err());
        assert_eq!(counter.epoch(), 0, "a failed flush is not a new epoch");
        counter.record("acme", "1.0.0");
        sql.execute("ALTER TABLE package_versions_away RENAME TO package_versions", values![]).unwrap();
        drop(conn);
        assert_eq!(counter.flush(&db).unwrap(), 4);
        assert!(counter.take().is_empty());
        assert_eq!(counter.flush(&db).unwrap(), 0);
    }
}

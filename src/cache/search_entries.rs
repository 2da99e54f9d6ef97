//! The search entries (`domain::search_entry`) held beside the in-memory search index and changed
//! with it, so a search page is rendered without SQL. Built when the index is built; an id the
//! `search_changes` log names is re-read with the rest of its change.
//!
//! Bounded by `[cache] search_mb`: past it, an id's entry is not held, and a page that shows the id
//! reads it from the database (`read`). The most downloaded ids are held first, as they are the
//! ones search pages show most.
use crate::db::sql::Sql;
use crate::db::{self, DbError};
use crate::domain::search_entry::SearchEntry;
use std::collections::HashMap;
use std::sync::Arc;

/// Ids read from the database per query: bounds what one batch holds in full records (all
/// columns of every version) before they shrink to entries.
const BATCH: usize = 500;

/// What the two maps spend per held id besides the entry: a slot in each (key, value, control
/// byte, at the maps' 7/8 load), and the id string the first map is keyed by.
fn map_bytes(id: &str) -> usize {
    let slot = |entry: usize| (entry + 1) * 8 / 7;
    slot(size_of::<(Box<str>, Arc<SearchEntry>)>()) + slot(size_of::<(i64, Arc<SearchEntry>)>()) + id.len() + 16
}

pub struct SearchEntries {
    by_id: HashMap<Box<str>, Arc<SearchEntry>>,
    /// Package key → entry, for the removals the change log names by key.
    by_key: HashMap<i64, Arc<SearchEntry>>,
    /// Held entries' sizes (`SearchEntry::size`) and map costs, added up.
    bytes: usize,
    /// `[cache] search_mb` in bytes.
    budget: usize,
    /// Ids the budget left out (those past it unread, some of which may have no entry).
    not_held: usize,
}

impl SearchEntries {
    pub fn new(budget_bytes: u64) -> Self {
        Self {
            by_id: HashMap::new(),
            by_key: HashMap::new(),
            bytes: 0,
            budget: usize::try_from(budget_bytes).unwrap_or(usize::MAX),
            not_held: 0,
        }
    }

    /// The held entry of an id; `None` when it is not held (not shown by search, or past the
    /// budget: `read` it).
    pub fn get(&self, id_lower: &str) -> Option<Arc<SearchEntry>> {
        self.by_id.get(id_lower).cloned()
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Bytes the held entries take (counted toward `[cache] search_mb`).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Ids whose entry the budget left out at the last `load`s.
    pub fn not_held(&self) -> usize {
        self.not_held
    }

    /// Reads these packages (key and lowercase id) as they are now and holds their entries as
    /// far as the budget goes, in the order given; one without a listed version loses its entry.
    /// Once the budget is as good as spent, the rest are not read at all (a million versions' full
    /// records cost minutes at start), only their entries dropped and counted as not held.
    pub fn load(&mut self, conn: &dyn Sql, packages: &[(i64, String)]) -> Result<(), DbError> {
        for batch in packages.chunks(BATCH) {
            if self.spent() {
                for (key, _) in batch {
                    self.remove(*key);
                }
                self.not_held += batch.len();
                continue;
            }
            let ids: Vec<String> = batch.iter().map(|(_, id)| id.clone()).collect();
            let mut found = Self::read(conn, &ids)?;
            for (key, id) in batch {
                self.remove(*key);
                let Some(entry) = found.remove(id) else { continue };
                let cost = entry.size() + map_bytes(id);
                if self.bytes + cost > self.budget {
                    self.not_held += 1;
                    continue;
                }
                self.bytes += cost;
                let entry = Arc::new(entry);
                self.by_key.insert(*key, Arc::clone(&entry));
                self.by_id.insert(id.as_str().into(), entry);
            }
        }
        Ok(())
    }

    /// Some entry was left out and what is left of the budget would not hold an average one.
    fn spent(&self) -> bool {
        self.not_held > 0 && self.budget - self.bytes < (self.bytes / self.by_key.len().max(1)).max(1)
    }

    /// The entries of these ids as the database holds them now, held or not (those no search
    /// shows are absent).
    pub fn read(conn: &dyn Sql, ids: &[String]) -> Result<HashMap<String, SearchEntry>, DbError> {
        let mut found = HashMap::new();
        for batch in ids.chunks(BATCH) {
            for record in db::packages::load_summaries(conn, batch)? {
                if let Some(entry) = SearchEntry::of(&record) {
                    found.insert(record.id_lower, entry);
                }
            }
        }
        Ok(found)
    }

    /// Drops a package's entry (no listed version left, or the package is gone).
    pub fn remove(&mut self, key: i64) {
        if let Some(entry) = self.by_key.remove(&key) {
            self.by_id.remove(entry.id_lower());
            self.bytes -= entry.size() + map_bytes(entry.id_lower());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SearchEntries;
    use crate::db::package_fixtures::{push, user};
    use crate::domain::version_status::VersionStatus;
    use rusqlite::Connection;

    fn database(ids: usize) -> (Connection, Vec<(i64, String)>) {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::migrate::run(&mut conn).unwrap();
        let owner = user(&conn, "alice");
        let packages = (0..ids)
            .map(|n| {
                let (key, _) =
                    push(&conn, &format!("Acme.Package{n}"), "1.0.0", "", VersionStatus::Available, owner).unwrap();
                (key, format!("acme.package{n}"))
            })
            .collect();
        (conn, packages)
    }

    /// Past the budget an entry is not held, and what is held stays within it; `read` still gives
    /// every entry.
    #[test]
    fn holds_entries_up_to_the_budget() {
        let (conn, packages) = database(20);
        let mut all = SearchEntries::new(u64::MAX);
        all.load(&conn, &packages).unwrap();
        assert_eq!((all.len(), all.not_held()), (20, 0));
        let per_entry = all.bytes() / 20;
        let budget = per_entry * 5 + per_entry / 2;
        let mut some = SearchEntries::new(budget as u64);
        some.load(&conn, &packages).unwrap();
        assert_eq!((some.len(), some.not_held()), (5, 15));
        // Past a spent budget the next batches are not read: ids the database does not have count
        // as not held only when they were not read (read, they have no entry to leave out).
        let mut many: Vec<(i64, String)> = packages.clone();
        many.extend((0..super::BATCH * 2).map(|n| (10_000 + i64::try_from(n).unwrap(), format!("absent{n}"))));
        let mut spent = SearchEntries::new(budget as u64);
        spent.load(&conn, &many).unwrap();
        assert_eq!((spent.len(), spent.not_held()), (5, 15 + many.len() - super::BATCH));
        assert!(some.bytes() <= budget);
        assert!(some.get("acme.package0").is_some() && some.get("acme.package5").is_none());
        let ids: Vec<String> = packages.iter().map(|(_, id)| id.clone()).collect();
        assert_eq!(SearchEntries::read(&conn, &ids).unwrap().len(), 20);
        // Removing gives the bytes back; nothing held costs nothing.
        for (key, _) in &packages {
            some.remove(*key);
        }
        assert_eq!((some.len(), some.bytes()), (0, 0));
        let mut none = SearchEntries::new(0);
        none.load(&conn, &packages).unwrap();
        assert_eq!((none.len(), none.bytes(), none.not_held()), (0, 0, 20));
    }
}

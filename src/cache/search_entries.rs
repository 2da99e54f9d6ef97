//! Every searchable id's search entry (`domain::search_entry`), held beside the in-memory search
//! index and changed with it, so a search page is rendered without SQL. Built when the index is
//! built; an id the `search_changes` log names is re-read with the rest of its change.
use crate::db::sql::Sql;
use crate::db::{self, DbError};
use crate::domain::search_entry::SearchEntry;
use std::collections::HashMap;
use std::sync::Arc;

/// Ids read from the database per query: bounds what one batch holds in full records (all
/// columns of every version) before they shrink to entries.
const BATCH: usize = 500;

#[derive(Default)]
pub struct SearchEntries {
    by_id: HashMap<Box<str>, Arc<SearchEntry>>,
    /// Package key → id, for the removals the change log names by key.
    ids: HashMap<i64, Box<str>>,
    /// What `SearchEntry::size` adds up to over every entry held.
    bytes: usize,
}

impl SearchEntries {
    pub fn get(&self, id_lower: &str) -> Option<Arc<SearchEntry>> {
        self.by_id.get(id_lower).cloned()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The entries' own bytes (not the maps'): reported when the index is built.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Reads these packages (key and lowercase id) as they are now; one without a listed
    /// version loses its entry.
    pub fn load(&mut self, conn: &dyn Sql, packages: &[(i64, String)]) -> Result<(), DbError> {
        for batch in packages.chunks(BATCH) {
            let ids: Vec<String> = batch.iter().map(|(_, id)| id.clone()).collect();
            let mut found: HashMap<String, SearchEntry> = HashMap::new();
            for record in db::packages::load_summaries(conn, &ids)? {
                if let Some(entry) = SearchEntry::of(&record) {
                    found.insert(record.id_lower, entry);
                }
            }
            for (key, id) in batch {
                self.remove(*key);
                if let Some(entry) = found.remove(id) {
                    self.bytes += entry.size();
                    self.ids.insert(*key, id.as_str().into());
                    self.by_id.insert(id.as_str().into(), Arc::new(entry));
                }
            }
        }
        Ok(())
    }

    /// Drops a package's entry (no listed version left, or the package is gone).
    pub fn remove(&mut self, key: i64) {
        if let Some(id) = self.ids.remove(&key) {
            if let Some(entry) = self.by_id.remove(&id) {
                self.bytes -= entry.size();
            }
        }
    }
}

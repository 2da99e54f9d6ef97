//! The symbol server's index in memory: (file name, SSQP key) → the stored PDB. Loaded from the
//! database at start and changed with every symbol push and hard delete, so a debugger's lookups
//! run no SQL.
use crate::db::symbols::SymbolFileRow;
use std::collections::HashMap;
use std::sync::RwLock;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolEntry {
    pub id_lower: String,
    pub version_lower: String,
    pub checksum: String,
    pub stored_name: String,
}

#[derive(Default)]
pub struct SymbolIndex {
    files: RwLock<HashMap<(String, String), SymbolEntry>>,
}

fn entry(row: SymbolFileRow) -> ((String, String), SymbolEntry) {
    let SymbolFileRow { id_lower, version_lower, file_lower, key_lower, checksum, stored_name } = row;
    ((file_lower, key_lower), SymbolEntry { id_lower, version_lower, checksum, stored_name })
}

impl SymbolIndex {
    pub fn load(rows: Vec<SymbolFileRow>) -> Self {
        Self { files: RwLock::new(rows.into_iter().map(entry).collect()) }
    }

    /// `file` and `key` as the client sent them: SSQP lookups ignore case.
    pub fn lookup(&self, file: &str, key: &str) -> Option<SymbolEntry> {
        let files = self.files.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        files.get(&(file.to_ascii_lowercase(), key.to_ascii_lowercase())).cloned()
    }

    /// Makes `rows` the symbols of id+version, dropping what it had.
    pub fn replace_version(&self, id_lower: &str, version_lower: &str, rows: Vec<SymbolFileRow>) {
        let mut files = self.files.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        files.retain(|_, e| !(e.id_lower == id_lower && e.version_lower == version_lower));
        files.extend(rows.into_iter().map(entry));
    }

    /// Makes `rows` the symbols of every version of the id (another node changed it).
    pub fn replace_id(&self, id_lower: &str, rows: Vec<SymbolFileRow>) {
        let mut files = self.files.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        files.retain(|_, e| e.id_lower != id_lower);
        files.extend(rows.into_iter().map(entry));
    }

    /// Makes `rows` the whole index (changes of other nodes may have been missed).
    pub fn replace_all(&self, rows: Vec<SymbolFileRow>) {
        let mut files = self.files.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        *files = rows.into_iter().map(entry).collect();
    }

    pub fn has_version(&self, id_lower: &str, version_lower: &str) -> bool {
        let files = self.files.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        files.values().any(|e| e.id_lower == id_lower && e.version_lower == version_lower)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, version: &str, key: &str) -> SymbolFileRow {
        SymbolFileRow {
            id_lower: id.into(),
            version_lower: version.into(),
            file_lower: "lib.pdb".into(),
            key_lower: key.into(),
            checksum: String::new(),
            stored_name: format!("{id}.{version}.pdb"),
        }
    }

    /// Another node's change of an id replaces every version of that id and nothing else; a
    /// reconnect replaces the whole index.
    #[test]
    fn replace_id_touches_only_that_id_and_replace_all_everything() {
        let index = SymbolIndex::load(vec![row("a", "1.0.0", "k1"), row("a", "2.0.0", "k2"), row("b", "1.0.0", "k3")]);
        index.replace_id("a", vec![row("a", "3.0.0", "k4")]);
        assert!(index.lookup("lib.pdb", "k1").is_none() && index.lookup("lib.pdb", "k2").is_none());
        assert_eq!(index.lookup("LIB.pdb", "K4").unwrap().version_lower, "3.0.0");
        assert!(index.has_version("b", "1.0.0"));
        index.replace_all(vec![row("c", "1.0.0", "k5")]);
        assert!(!index.has_version("b", "1.0.0") && !index.has_version("a", "3.0.0"));
        assert!(index.has_version("c", "1.0.0"));
    }
}

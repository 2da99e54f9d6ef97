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

    pub fn has_version(&self, id_lower: &str, version_lower: &str) -> bool {
        let files = self.files.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        files.values().any(|e| e.id_lower == id_lower && e.version_lower == version_lower)
    }
}

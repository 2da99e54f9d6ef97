//! The symbol files of each version (`symbol_files`).
use super::DbError;
use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolFileRow {
    pub id_lower: String,
    pub version_lower: String,
    pub file_lower: String,
    pub key_lower: String,
    pub checksum: String,
    pub stored_name: String,
}

/// The key and status of an id+version.
pub fn version_key(conn: &Connection, id_lower: &str, version_lower: &str) -> Result<Option<(i64, String)>, DbError> {
    Ok(conn
        .query_row(
            "SELECT v.id, v.status FROM package_versions v JOIN packages p ON p.id = v.package_key
             WHERE p.id_lower = ?1 AND v.version_lower = ?2",
            params![id_lower, version_lower],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Replaces the version's symbol files with `files`; returns the stored names it had before.
pub fn replace(conn: &Connection, version_key: i64, files: &[SymbolFileRow]) -> Result<Vec<String>, DbError> {
    let old = stored_names(conn, version_key)?;
    conn.prepare_cached("DELETE FROM symbol_files WHERE version_key = ?1")?.execute([version_key])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR REPLACE INTO symbol_files (version_key, file_lower, key_lower, checksum, stored_name)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for f in files {
        insert.execute(params![version_key, f.file_lower, f.key_lower, f.checksum, f.stored_name])?;
    }
    Ok(old)
}

fn stored_names(conn: &Connection, version_key: i64) -> Result<Vec<String>, DbError> {
    let mut stmt = conn.prepare_cached("SELECT stored_name FROM symbol_files WHERE version_key = ?1")?;
    let names = stmt.query_map([version_key], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(names)
}

/// Forgets the symbols of a version (a hard delete).
pub fn delete(conn: &Connection, version_key: i64) -> Result<(), DbError> {
    conn.prepare_cached("DELETE FROM symbol_files WHERE version_key = ?1")?.execute([version_key])?;
    Ok(())
}

/// Every symbol file of a version that is not deleted: the symbol server's index at start.
pub fn all(conn: &Connection) -> Result<Vec<SymbolFileRow>, DbError> {
    let mut stmt = conn.prepare(
        "SELECT p.id_lower, v.version_lower, s.file_lower, s.key_lower, s.checksum, s.stored_name
         FROM symbol_files s JOIN package_versions v ON v.id = s.version_key JOIN packages p ON p.id = v.package_key
         WHERE v.status <> 'deleted'",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok(SymbolFileRow {
                id_lower: r.get(0)?,
                version_lower: r.get(1)?,
                file_lower: r.get(2)?,
                key_lower: r.get(3)?,
                checksum: r.get(4)?,
                stored_name: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

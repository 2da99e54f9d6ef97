//! The symbol files of each version (`symbol_files`).
use super::sql::{Row, Sql};
use super::DbError;
use crate::values;

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
pub fn version_key(
    db: &dyn Sql,
    id_lower: &str,
    version_lower: &str,
) -> Result<Option<(i64, crate::domain::version_status::VersionStatus)>, DbError> {
    db.query_optional(
        "SELECT v.id, v.status FROM package_versions v JOIN packages p ON p.id = v.package_key
         WHERE p.id_lower = ?1 AND v.version_lower = ?2",
        values![id_lower, version_lower],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Replaces the version's symbol files with `files`; returns the stored names it had before.
pub fn replace(db: &dyn Sql, version_key: i64, files: &[SymbolFileRow]) -> Result<Vec<String>, DbError> {
    let old = stored_names(db, version_key)?;
    db.execute("DELETE FROM symbol_files WHERE version_key = ?1", values![version_key])?;
    for f in files {
        // The same PDB twice in one package: the last one wins, as it did with INSERT OR REPLACE.
        db.execute(
            "INSERT INTO symbol_files (version_key, file_lower, key_lower, checksum, stored_name)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (version_key, file_lower, key_lower)
             DO UPDATE SET checksum = excluded.checksum, stored_name = excluded.stored_name",
            values![version_key, &f.file_lower, &f.key_lower, &f.checksum, &f.stored_name],
        )?;
    }
    Ok(old)
}

fn stored_names(db: &dyn Sql, version_key: i64) -> Result<Vec<String>, DbError> {
    db.query_map("SELECT stored_name FROM symbol_files WHERE version_key = ?1", values![version_key], |r| r.get(0))
}

/// Forgets the symbols of a version (a hard delete).
pub fn delete(db: &dyn Sql, version_key: i64) -> Result<(), DbError> {
    db.execute("DELETE FROM symbol_files WHERE version_key = ?1", values![version_key])?;
    Ok(())
}

fn from_row(r: &Row) -> Result<SymbolFileRow, DbError> {
    Ok(SymbolFileRow {
        id_lower: r.get(0)?,
        version_lower: r.get(1)?,
        file_lower: r.get(2)?,
        key_lower: r.get(3)?,
        checksum: r.get(4)?,
        stored_name: r.get(5)?,
    })
}

/// Every symbol file of a version that is not deleted: the symbol server's index at start.
pub fn all(db: &dyn Sql) -> Result<Vec<SymbolFileRow>, DbError> {
    db.query_map(
        "SELECT p.id_lower, v.version_lower, s.file_lower, s.key_lower, s.checksum, s.stored_name
         FROM symbol_files s JOIN package_versions v ON v.id = s.version_key JOIN packages p ON p.id = v.package_key
         WHERE v.status <> 'deleted'
         ORDER BY p.id_lower, v.version_lower, s.file_lower, s.key_lower",
        values![],
        from_row,
    )
}

/// The symbol files of one id's versions that are not deleted: what another node's change of the
/// id may have altered (`services::cluster_sync`).
pub fn of_id(db: &dyn Sql, id_lower: &str) -> Result<Vec<SymbolFileRow>, DbError> {
    db.query_map(
        "SELECT p.id_lower, v.version_lower, s.file_lower, s.key_lower, s.checksum, s.stored_name
         FROM symbol_files s JOIN package_versions v ON v.id = s.version_key JOIN packages p ON p.id = v.package_key
         WHERE v.status <> 'deleted' AND p.id_lower = ?1
         ORDER BY v.version_lower, s.file_lower, s.key_lower",
        values![id_lower],
        from_row,
    )
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::package_fixtures::{push, user};
    use crate::db::sql::testing::on_both_engines;
    use crate::domain::version_status::VersionStatus;

    fn file(name: &str, key: &str, stored: &str) -> SymbolFileRow {
        SymbolFileRow {
            id_lower: "acme".into(),
            version_lower: "1.0.0".into(),
            file_lower: name.into(),
            key_lower: key.into(),
            checksum: format!("SHA256:{key}"),
            stored_name: stored.into(),
        }
    }

    #[test]
    fn replaces_and_lists_symbol_files_on_both_engines() {
        on_both_engines(|db| {
            let owner = db.tx(|tx| Ok(user(tx, "alice"))).unwrap();
            let (_, version) = db.tx(|tx| push(tx, "Acme", "1.0.0", "", VersionStatus::Available, owner)).unwrap();
            assert_eq!(
                db.tx(|tx| version_key(tx, "acme", "1.0.0")).unwrap(),
                Some((version, crate::domain::version_status::VersionStatus::Available))
            );
            assert_eq!(db.tx(|tx| version_key(tx, "acme", "2.0.0")).unwrap(), None);

            let first = [file("a.pdb", "k1", "s1"), file("b.pdb", "k2", "s2")];
            assert!(db.tx(|tx| replace(tx, version, &first)).unwrap().is_empty());
            assert_eq!(db.tx(|tx| all(tx)).unwrap(), first);
            // A re-upload replaces every file and hands back the old stored names; the same PDB
            // twice keeps the last.
            let second = [file("a.pdb", "k3", "s3"), file("a.pdb", "k3", "s4")];
            let mut old = db.tx(|tx| replace(tx, version, &second)).unwrap();
            old.sort();
            assert_eq!(old, ["s1", "s2"]);
            assert_eq!(db.tx(|tx| all(tx)).unwrap(), [file("a.pdb", "k3", "s4")]);

            // A deleted version's symbols are not served; a hard delete forgets them.
            db.tx(|tx| tx.execute("UPDATE package_versions SET status = 'deleted' WHERE id = ?1", values![version]))
                .unwrap();
            assert!(db.tx(|tx| all(tx)).unwrap().is_empty());
            db.tx(|tx| delete(tx, version)).unwrap();
            assert!(db.tx(|tx| stored_names(tx, version)).unwrap().is_empty());
        });
    }
}

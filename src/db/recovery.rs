//! What the start-up sweep, `galley check` and a failed push need to know or undo: which files a
//! row backs, which ids must be rendered again, and how to take back a push whose documents could
//! not be written.
//!
//! The queries over rows take `&dyn Sql`, as every ported `db::` module. What stays on a rusqlite
//! `Connection` for good is SQLite's by nature and has no PostgreSQL counterpart here: the file
//! (`open_plain`, `snapshot`'s `VACUUM INTO`), `integrity`'s and `schema_version`'s `PRAGMA`s and
//! the FTS5 index (`search_drift`). `undo_push` runs its own statements through the SQL layer but
//! still takes a `Connection` only because `packages::record_change` and `search::note_change`
//! do: it becomes `&dyn Sql` with them.
use super::sql::Sql;
use super::DbError;
use crate::values;
use rusqlite::Connection;
use std::collections::{HashMap, HashSet};

/// Every id+version that has a row (any status but `failed`, whose number may be pushed again):
/// the version folders of the package store these may keep.
pub fn versions_with_rows(db: &dyn Sql) -> Result<HashSet<(String, String)>, DbError> {
    let rows = db.query_map(
        "SELECT p.id_lower, v.version_lower FROM package_versions v JOIN packages p ON p.id = v.package_key
         WHERE v.status <> 'failed'",
        values![],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(rows.into_iter().collect())
}

/// The available versions of every id: what its rendered documents must list.
pub fn available_by_id(db: &dyn Sql) -> Result<HashMap<String, HashSet<String>>, DbError> {
    let rows = db.query_map(
        "SELECT p.id_lower, v.version_lower FROM package_versions v JOIN packages p ON p.id = v.package_key
         WHERE v.status = 'available'",
        values![],
        |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?)),
    )?;
    let mut by_id: HashMap<String, HashSet<String>> = HashMap::new();
    for (id, version) in rows {
        by_id.entry(id).or_default().insert(version);
    }
    Ok(by_id)
}

/// Available versions with the hash and size their file must have (`galley check`).
pub fn available_files(db: &dyn Sql) -> Result<Vec<(String, String, String, u64)>, DbError> {
    db.query_map(
        "SELECT p.id_lower, v.version_lower, v.hash_sha512, v.size FROM package_versions v
         JOIN packages p ON p.id = v.package_key WHERE v.status = 'available' ORDER BY p.id_lower, v.version_lower",
        values![],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
}

/// A summary of the rows feed documents are rendered from that moves with every change to them:
/// every change of an id counts up its `docs_changes`, every new id or version takes a higher
/// key, and removing an id lowers the count. Equal fingerprints mean the same rows, short of a
/// database edited by hand to match. Reads every id's row once (~200k at 1M versions).
pub fn fingerprint(db: &dyn Sql) -> Result<String, DbError> {
    let (ids, last_id, changes, last_version): (i64, i64, i64, i64) = db.query_row(
        "SELECT (SELECT count(*) FROM packages), (SELECT coalesce(max(id), 0) FROM packages),
                (SELECT CAST(coalesce(sum(docs_changes), 0) AS BIGINT) FROM packages),
                (SELECT coalesce(max(id), 0) FROM package_versions)",
        values![],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    Ok(format!("ids {ids} last-id {last_id} changes {changes} last-version {last_version}"))
}

/// Marks ids whose documents must be rendered again (found missing or stale on disk).
pub fn mark_stale(db: &dyn Sql, ids: &[String]) -> Result<(), DbError> {
    for id in ids {
        db.execute("UPDATE packages SET docs_changes = docs_changes + 1 WHERE id_lower = ?1", values![id])?;
    }
    Ok(())
}

/// Marks every id for a forced render (files on disk may be torn although their names are right).
/// Recorded in the database, so a render stopped half-way resumes at the next start.
pub fn force_render_all(db: &dyn Sql) -> Result<u64, DbError> {
    db.execute("UPDATE packages SET docs_rendered = -1", values![])
}

/// Marks for a forced render the ids whose documents were written by a process later than
/// `flushed_epoch`, the last one known to have flushed them (see migration 0011).
pub fn force_render_since(db: &dyn Sql, flushed_epoch: i64) -> Result<u64, DbError> {
    db.execute("UPDATE packages SET docs_rendered = -1 WHERE docs_epoch > ?1", values![flushed_epoch])
}

/// Ids marked by `force_render_all` and not rendered since.
pub fn ids_forced(db: &dyn Sql) -> Result<HashSet<String>, DbError> {
    let ids = db.query_map("SELECT id_lower FROM packages WHERE docs_rendered < 0", values![], |r| r.get(0))?;
    Ok(ids.into_iter().collect())
}

/// Takes back a committed push whose documents could not be written (a full disk): the version
/// row, its dependencies and search text, its audit entry, and the package row when the push
/// created it. Afterwards the id+version may be pushed again.
pub fn undo_push(db: &dyn Sql, package_key: i64, version_key: i64) -> Result<(), DbError> {
    let (id, version): (String, String) = db.query_row(
        "SELECT p.package_id, v.version_normalized FROM package_versions v JOIN packages p ON p.id = v.package_key
         WHERE v.id = ?1",
        values![version_key],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    db.execute("DELETE FROM package_versions WHERE id = ?1", values![version_key])?;
    db.execute(
        "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log WHERE action = 'package.push'
         AND package_id = ?1 AND version = ?2)",
        values![id, version],
    )?;
    super::packages::record_change(db, package_key)?;
    let remaining: i64 =
        db.query_row("SELECT count(*) FROM package_versions WHERE package_key = ?1", values![package_key], |r| {
            r.get(0)
        })?;
    if remaining == 0 {
        super::search::note_change(db, package_key)?;
        // `rowid` is a column of PostgreSQL's package_search too (migrations/postgres/0001).
        db.execute("DELETE FROM package_search WHERE rowid = ?1", values![package_key])?;
        db.execute("DELETE FROM packages WHERE id = ?1", values![package_key])?;
    }
    Ok(())
}

/// One connection of its own, outside any pool (whose background threads could still hold the
/// file when a backup or restore moves on).
pub fn open_plain(path: &std::path::Path) -> Result<Connection, DbError> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    Ok(conn)
}

/// A consistent copy of the whole database at one moment, written to `dest` (`VACUUM INTO`):
/// a read transaction, so pushes go on while it runs.
pub fn snapshot(conn: &Connection, dest: &std::path::Path) -> Result<(), DbError> {
    let dest = dest.to_str().ok_or_else(|| DbError::Open(format!("{}: not UTF-8", dest.display())))?;
    conn.execute("VACUUM INTO ?1", [dest])?;
    Ok(())
}

/// `PRAGMA integrity_check`: "ok" or the first problems SQLite found.
pub fn integrity(conn: &Connection) -> Result<String, DbError> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let lines: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(lines.join("; "))
}

/// The schema version the database is at.
pub fn schema_version(conn: &Connection) -> Result<u32, DbError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// How far the search index has drifted from the database, without changing it: the rebuild
/// runs in a transaction that is rolled back.
pub fn search_drift(conn: &mut Connection) -> Result<usize, DbError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let drift = search_drift_in(&tx)?;
    tx.rollback()?;
    Ok(drift)
}

/// The drift, counted inside a transaction the caller rolls back (it rebuilds to compare).
pub fn search_drift_in(tx: &dyn Sql) -> Result<usize, DbError> {
    let keys = super::search::all_package_keys(tx)?;
    Ok(super::search::remove_orphans(tx)? + super::search::rebuild_packages(tx, &keys)?)
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::on_both_engines;
    use crate::db::test_rows::{package, version};

    #[test]
    fn rows_behind_the_files_and_forced_renders_on_both_engines() {
        on_both_engines(|db| {
            let core = db.tx(|tx| package(tx, "Contoso.Core")).unwrap();
            let web = db.tx(|tx| package(tx, "Contoso.Web")).unwrap();
            db.tx(|tx| version(tx, core, "1.0.0", "available", 10)).unwrap();
            db.tx(|tx| version(tx, core, "2.0.0-Beta", "failed", 20)).unwrap();
            db.tx(|tx| version(tx, web, "1.0.0", "deleted", 30)).unwrap();

            let pair = |id: &str, v: &str| (id.to_owned(), v.to_owned());
            let with_rows = db.tx(versions_with_rows).unwrap();
            assert_eq!(with_rows, HashSet::from([pair("contoso.core", "1.0.0"), pair("contoso.web", "1.0.0")]));
            let by_id = db.tx(available_by_id).unwrap();
            assert_eq!(by_id, HashMap::from([("contoso.core".to_owned(), HashSet::from(["1.0.0".to_owned()]))]));
            let files = db.tx(available_files).unwrap();
            assert_eq!(files, [("contoso.core".to_owned(), "1.0.0".to_owned(), "hash-of-1.0.0".to_owned(), 10)]);

            db.tx(|tx| mark_stale(tx, &["contoso.web".to_owned(), "unknown".to_owned()])).unwrap();
            let changes: i64 = db
                .tx(|tx| tx.query_row("SELECT docs_changes FROM packages WHERE id = ?1", values![web], |r| r.get(0)))
                .unwrap();
            assert_eq!(changes, 1);

            assert!(db.tx(ids_forced).unwrap().is_empty());
            db.tx(|tx| tx.execute("UPDATE packages SET docs_epoch = 5 WHERE id = ?1", values![web])).unwrap();
            assert_eq!(db.tx(|tx| force_render_since(tx, 5)).unwrap(), 0);
            assert_eq!(db.tx(|tx| force_render_since(tx, 4)).unwrap(), 1);
            assert_eq!(db.tx(ids_forced).unwrap(), HashSet::from(["contoso.web".to_owned()]));
            assert_eq!(db.tx(force_render_all).unwrap(), 2);
            assert_eq!(db.tx(ids_forced).unwrap().len(), 2);
        });
    }
}

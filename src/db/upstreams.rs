//! What the upstream guard reads (is an id local, is it under a reserved prefix), the reserved
//! prefixes themselves, and the marks a mirrored id and version carry.
use super::sql::Sql;
use super::DbError;
use crate::values;

/// Facts about an id that decide whether an upstream may supply it (`services::mirror::guard`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalFacts {
    /// A local (not mirrored) package row exists: any version, any state, hard-deleted ones too
    /// (a hard delete keeps the version row as a tombstone).
    pub local: bool,
    /// The id starts with a reserved prefix.
    pub reserved: bool,
}

/// One query, run only for ids the rendered documents do not hold as local.
pub fn local_facts(db: &dyn Sql, id_lower: &str) -> Result<LocalFacts, DbError> {
    // The cast tells PostgreSQL the parameter's type, which substr() alone does not.
    db.query_row(
        "SELECT EXISTS (SELECT 1 FROM packages WHERE id_lower = ?1 AND upstream IS NULL),
            EXISTS (SELECT 1 FROM reserved_prefixes
                    WHERE substr(CAST(?1 AS TEXT), 1, length(prefix_lower)) = prefix_lower)",
        values![id_lower],
        |r| Ok(LocalFacts { local: r.get(0)?, reserved: r.get(1)? }),
    )
}

/// The upstream a stored id was mirrored from, `None` for a local id (or an unknown one).
pub fn upstream_of(db: &dyn Sql, id_lower: &str) -> Result<Option<String>, DbError> {
    Ok(db
        .query_optional("SELECT upstream FROM packages WHERE id_lower = ?1", values![id_lower], |r| r.get(0))?
        .flatten())
}

/// Marks a new mirrored version (in the transaction that inserted it): the id's source, the
/// fetch time, and the listed state and publish date the upstream gave.
pub fn mark_mirrored(
    db: &dyn Sql,
    package_key: i64,
    version_key: i64,
    upstream: &str,
    listed: bool,
    published: Option<&str>,
) -> Result<(), DbError> {
    db.execute("UPDATE packages SET upstream = ?2, verified = 0 WHERE id = ?1", values![package_key, upstream])?;
    db.execute(
        "UPDATE package_versions SET fetched_at = ?2, listed = ?3, published_at = COALESCE(?4, published_at)
         WHERE id = ?1",
        values![version_key, db.now_text()?, listed, published],
    )?;
    Ok(())
}

/// An imported version takes the listed state and publish date its source feed gave it. Still on
/// rusqlite: `packages::record_change` reindexes search, which is SQLite's FTS5 for now.
pub fn set_imported_state(
    conn: &rusqlite::Connection,
    id_lower: &str,
    version_lower: &str,
    listed: bool,
    published: Option<&str>,
) -> Result<(), DbError> {
    Sql::execute(
        conn,
        "UPDATE package_versions SET listed = ?3, published_at = COALESCE(?4, published_at)
         WHERE version_lower = ?2 AND package_key = (SELECT id FROM packages WHERE id_lower = ?1)",
        values![id_lower, version_lower, listed, published],
    )?;
    match super::packages::find(conn, id_lower)? {
        Some(row) => super::packages::record_change(conn, row.key),
        None => Ok(()),
    }
}

/// Where a mirrored version came from and when it was fetched (the portal's package page).
pub fn mirror_source(db: &dyn Sql, id_lower: &str, version_lower: &str) -> Result<Option<(String, String)>, DbError> {
    db.query_optional(
        "SELECT p.upstream, v.fetched_at FROM packages p JOIN package_versions v ON v.package_key = p.id
         WHERE p.id_lower = ?1 AND v.version_lower = ?2 AND p.upstream IS NOT NULL AND v.fetched_at IS NOT NULL",
        values![id_lower, version_lower],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservedPrefix {
    pub prefix: String,
    pub created_at: String,
}

/// Reserves a prefix (false when it already was) and marks the local ids under it verified.
pub fn reserve_prefix(db: &dyn Sql, prefix: &str) -> Result<bool, DbError> {
    let lower = prefix.to_ascii_lowercase();
    let added = db.execute(
        "INSERT INTO reserved_prefixes (prefix_lower, prefix, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (prefix_lower) DO NOTHING",
        values![lower, prefix, db.now_text()?],
    )?;
    refresh_verified(db)?;
    Ok(added == 1)
}

/// Removes a reservation (false when there was none); ids under no other prefix lose `verified`.
pub fn remove_prefix(db: &dyn Sql, prefix: &str) -> Result<bool, DbError> {
    let removed =
        db.execute("DELETE FROM reserved_prefixes WHERE prefix_lower = ?1", values![prefix.to_ascii_lowercase()])?;
    refresh_verified(db)?;
    Ok(removed == 1)
}

pub fn list_prefixes(db: &dyn Sql) -> Result<Vec<ReservedPrefix>, DbError> {
    db.query_map("SELECT prefix, created_at FROM reserved_prefixes ORDER BY prefix_lower", values![], |r| {
        Ok(ReservedPrefix { prefix: r.get(0)?, created_at: r.get(1)? })
    })
}

/// `verified` = a local id under a reserved prefix, as the 0 / 1 the flag column holds on both
/// engines (PostgreSQL does not store a boolean expression in a BIGINT column).
const VERIFIED: &str = "UPDATE packages SET verified = CASE WHEN upstream IS NULL AND EXISTS (
     SELECT 1 FROM reserved_prefixes WHERE substr(packages.id_lower, 1, length(prefix_lower)) = prefix_lower)
     THEN 1 ELSE 0 END";

/// The one statement that decides `verified`, run after every change of the prefixes.
pub fn refresh_verified(db: &dyn Sql) -> Result<(), DbError> {
    db.execute(VERIFIED, values![])?;
    Ok(())
}

/// Sets `verified` on one new package row.
pub fn set_verified_if_reserved(db: &dyn Sql, package_key: i64) -> Result<(), DbError> {
    db.execute(&format!("{VERIFIED} WHERE id = ?1"), values![package_key])?;
    Ok(())
}

//! What the upstream guard reads (is an id local, is it under a reserved prefix), the reserved
//! prefixes themselves, and the marks a mirrored id and version carry.
use super::DbError;
use rusqlite::{params, Connection, OptionalExtension};

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
pub fn local_facts(conn: &Connection, id_lower: &str) -> Result<LocalFacts, DbError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM packages WHERE id_lower = ?1 AND upstream IS NULL),
                EXISTS (SELECT 1 FROM reserved_prefixes WHERE substr(?1, 1, length(prefix_lower)) = prefix_lower)",
        )?
        .query_row([id_lower], |r| Ok(LocalFacts { local: r.get(0)?, reserved: r.get(1)? }))?)
}

/// The upstream a stored id was mirrored from, `None` for a local id (or an unknown one).
pub fn upstream_of(conn: &Connection, id_lower: &str) -> Result<Option<String>, DbError> {
    Ok(conn
        .query_row("SELECT upstream FROM packages WHERE id_lower = ?1", [id_lower], |r| r.get(0))
        .optional()?
        .flatten())
}

/// Marks a new mirrored version (in the transaction that inserted it): the id's source, the
/// fetch time, and the listed state and publish date the upstream gave.
pub fn mark_mirrored(
    conn: &Connection,
    package_key: i64,
    version_key: i64,
    upstream: &str,
    listed: bool,
    published: Option<&str>,
) -> Result<(), DbError> {
    conn.prepare_cached("UPDATE packages SET upstream = ?2, verified = 0 WHERE id = ?1")?
        .execute(params![package_key, upstream])?;
    conn.prepare_cached(
        "UPDATE package_versions SET fetched_at = ?2, listed = ?3, published_at = COALESCE(?4, published_at)
         WHERE id = ?1",
    )?
    .execute(params![version_key, super::now_text(conn)?, listed, published])?;
    Ok(())
}

/// An imported version takes the listed state and publish date its source feed gave it.
pub fn set_imported_state(
    conn: &Connection,
    id_lower: &str,
    version_lower: &str,
    listed: bool,
    published: Option<&str>,
) -> Result<(), DbError> {
    conn.prepare_cached(
        "UPDATE package_versions SET listed = ?3, published_at = COALESCE(?4, published_at)
         WHERE version_lower = ?2 AND package_key = (SELECT id FROM packages WHERE id_lower = ?1)",
    )?
    .execute(params![id_lower, version_lower, listed, published])?;
    match super::packages::find(conn, id_lower)? {
        Some(row) => super::packages::record_change(conn, row.key),
        None => Ok(()),
    }
}

/// Where a mirrored version came from and when it was fetched (the portal's package page).
pub fn mirror_source(
    conn: &Connection,
    id_lower: &str,
    version_lower: &str,
) -> Result<Option<(String, String)>, DbError> {
    Ok(conn
        .query_row(
            "SELECT p.upstream, v.fetched_at FROM packages p JOIN package_versions v ON v.package_key = p.id
             WHERE p.id_lower = ?1 AND v.version_lower = ?2 AND p.upstream IS NOT NULL AND v.fetched_at IS NOT NULL",
            [id_lower, version_lower],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservedPrefix {
    pub prefix: String,
    pub created_at: String,
}

/// Reserves a prefix (false when it already was) and marks the local ids under it verified.
pub fn reserve_prefix(conn: &Connection, prefix: &str) -> Result<bool, DbError> {
    let lower = prefix.to_ascii_lowercase();
    let added = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO reserved_prefixes (prefix_lower, prefix, created_at) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![lower, prefix, super::now_text(conn)?])?;
    refresh_verified(conn)?;
    Ok(added == 1)
}

/// Removes a reservation (false when there was none); ids under no other prefix lose `verified`.
pub fn remove_prefix(conn: &Connection, prefix: &str) -> Result<bool, DbError> {
    let removed = conn
        .prepare_cached("DELETE FROM reserved_prefixes WHERE prefix_lower = ?1")?
        .execute([prefix.to_ascii_lowercase()])?;
    refresh_verified(conn)?;
    Ok(removed == 1)
}

pub fn list_prefixes(conn: &Connection) -> Result<Vec<ReservedPrefix>, DbError> {
    let mut stmt = conn.prepare_cached("SELECT prefix, created_at FROM reserved_prefixes ORDER BY prefix_lower")?;
    let rows = stmt.query_map([], |r| Ok(ReservedPrefix { prefix: r.get(0)?, created_at: r.get(1)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// `verified` = a local id under a reserved prefix; the one statement that decides it, run after
/// every change of the prefixes and for each new package row.
pub fn refresh_verified(conn: &Connection) -> Result<(), DbError> {
    conn.prepare_cached(
        "UPDATE packages SET verified = (upstream IS NULL AND EXISTS (
             SELECT 1 FROM reserved_prefixes WHERE substr(packages.id_lower, 1, length(prefix_lower)) = prefix_lower))",
    )?
    .execute([])?;
    Ok(())
}

/// Sets `verified` on one new package row.
pub fn set_verified_if_reserved(conn: &Connection, package_key: i64) -> Result<(), DbError> {
    conn.prepare_cached(
        "UPDATE packages SET verified = (upstream IS NULL AND EXISTS (
             SELECT 1 FROM reserved_prefixes WHERE substr(packages.id_lower, 1, length(prefix_lower)) = prefix_lower))
         WHERE id = ?1",
    )?
    .execute([package_key])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrate::run(&mut conn).unwrap();
        conn
    }

    fn add(conn: &Connection, id: &str, upstream: Option<&str>) -> i64 {
        let (key, _) = super::super::packages::find_or_create(conn, id, None).unwrap();
        conn.execute("UPDATE packages SET upstream = ?2 WHERE id = ?1", params![key, upstream]).unwrap();
        key
    }

    fn verified(conn: &Connection, id_lower: &str) -> bool {
        conn.query_row("SELECT verified FROM packages WHERE id_lower = ?1", [id_lower], |r| r.get(0)).unwrap()
    }

    #[test]
    fn facts_tell_local_mirrored_and_reserved_ids_apart() {
        let conn = db();
        add(&conn, "Contoso.Core", None);
        add(&conn, "Newtonsoft.Json", Some("nuget.org"));
        assert_eq!(local_facts(&conn, "contoso.core").unwrap(), LocalFacts { local: true, reserved: false });
        assert_eq!(local_facts(&conn, "newtonsoft.json").unwrap(), LocalFacts::default());
        assert_eq!(local_facts(&conn, "unknown").unwrap(), LocalFacts::default());
        // `_` and `%` are plain characters of a prefix, not LIKE wildcards.
        assert!(reserve_prefix(&conn, "My_Co.").unwrap());
        assert!(local_facts(&conn, "my_co.tools").unwrap().reserved);
        assert!(!local_facts(&conn, "myxco.tools").unwrap().reserved);
    }

    #[test]
    fn reserving_marks_local_ids_verified_and_removing_unmarks_them() {
        let conn = db();
        add(&conn, "Contoso.Core", None);
        add(&conn, "Contoso.Mirrored", Some("up"));
        assert!(!verified(&conn, "contoso.core"));
        assert!(reserve_prefix(&conn, "Contoso.").unwrap());
        assert!(!reserve_prefix(&conn, "contoso.").unwrap(), "a second reservation of the same prefix changes nothing");
        assert!(verified(&conn, "contoso.core"));
        assert!(!verified(&conn, "contoso.mirrored"), "a mirrored id is never verified");
        let key = add(&conn, "Contoso.New", None);
        set_verified_if_reserved(&conn, key).unwrap();
        assert!(verified(&conn, "contoso.new"));
        assert_eq!(list_prefixes(&conn).unwrap().iter().map(|p| p.prefix.as_str()).collect::<Vec<_>>(), ["Contoso."]);
        assert!(remove_prefix(&conn, "CONTOSO.").unwrap());
        assert!(!remove_prefix(&conn, "contoso.").unwrap());
        assert!(!verified(&conn, "contoso.core"));
    }
}

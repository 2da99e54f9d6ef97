//! The recorded SHA-512 and size of files kept in an object store (`store::s3`).
use super::DbError;
use rusqlite::{params, Connection, OptionalExtension};

/// Records (or replaces: extras such as a re-pushed `.snupkg` are rewritten) one object's hash.
pub fn record(conn: &Connection, key: &str, sha512: &str, size: u64) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO stored_objects (key, sha512, size) VALUES (?1, ?2, ?3)
         ON CONFLICT(key) DO UPDATE SET sha512 = excluded.sha512, size = excluded.size",
        params![key, sha512, i64::try_from(size).unwrap_or(i64::MAX)],
    )?;
    Ok(())
}

/// The recorded hash and size of `key`, if any.
pub fn find(conn: &Connection, key: &str) -> Result<Option<(String, u64)>, DbError> {
    Ok(conn
        .query_row("SELECT sha512, size FROM stored_objects WHERE key = ?1", [key], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })
        .optional()?
        .map(|(sha, size)| (sha, u64::try_from(size).unwrap_or(0))))
}

/// Forgets `key`, or with `prefix_of_folder` every key below that folder (`id/version/`).
pub fn forget(conn: &Connection, key: &str, prefix_of_folder: bool) -> Result<(), DbError> {
    if prefix_of_folder {
        // Keys are lowercase ids and versions without wildcards; `substr` avoids LIKE's escaping.
        conn.execute("DELETE FROM stored_objects WHERE substr(key, 1, length(?1)) = ?1", [key])?;
    } else {
        conn.execute("DELETE FROM stored_objects WHERE key = ?1", [key])?;
    }
    Ok(())
}

//! API keys, stored only as a keyed hash of their secret.
use super::DbError;
use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, Clone)]
pub struct ApiKeyRow {
    pub id: i64,
    pub user_id: i64,
    pub owner_id: i64,
    pub description: String,
    pub prefix: String,
    pub scopes: String,
    pub globs: String,
    /// Explicitly selected package ids, one per line.
    pub package_ids: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

const COLUMNS: &str =
    "id, user_id, owner_id, description, prefix, scopes, globs, created_at, expires_at, last_used_at, revoked_at, package_ids";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiKeyRow> {
    Ok(ApiKeyRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        owner_id: r.get(2)?,
        description: r.get(3)?,
        prefix: r.get(4)?,
        scopes: r.get(5)?,
        globs: r.get(6)?,
        created_at: r.get(7)?,
        expires_at: r.get(8)?,
        last_used_at: r.get(9)?,
        revoked_at: r.get(10)?,
        package_ids: r.get(11)?,
    })
}

pub struct NewApiKey<'a> {
    pub user_id: i64,
    pub owner_id: i64,
    pub description: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a [u8],
    pub scopes: &'a str,
    pub globs: &'a str,
    pub package_ids: &'a str,
    pub expires_at: &'a str,
}

pub fn insert(conn: &Connection, k: &NewApiKey<'_>) -> Result<i64, DbError> {
    conn.execute(
        "INSERT INTO api_keys (user_id, owner_id, description, prefix, key_hash, scopes, globs, package_ids, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![k.user_id, k.owner_id, k.description, k.prefix, k.key_hash, k.scopes, k.globs, k.package_ids, super::now_text(conn)?, k.expires_at],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn by_hash(conn: &Connection, hash: &[u8]) -> Result<Option<ApiKeyRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE key_hash = ?1");
    Ok(conn.query_row(&sql, [hash], from_row).optional()?)
}

pub fn for_user(conn: &Connection, user_id: i64) -> Result<Vec<ApiKeyRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE user_id = ?1 ORDER BY id");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([user_id], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn touch(conn: &Connection, id: i64) -> Result<(), DbError> {
    conn.execute("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1", params![id, super::now_text(conn)?])?;
    Ok(())
}

pub fn by_id(conn: &Connection, id: i64) -> Result<Option<ApiKeyRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], from_row).optional()?)
}

/// Keys acting for the given account (a user's own keys, or an organization's keys).
pub fn for_owner(conn: &Connection, owner_id: i64) -> Result<Vec<ApiKeyRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE owner_id = ?1 ORDER BY id");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([owner_id], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Gives the key a new secret and restarts its lifetime; scopes and package selection stay.
pub fn regenerate(
    conn: &Connection,
    id: i64,
    prefix: &str,
    key_hash: &[u8],
    expires_at: &str,
) -> Result<bool, DbError> {
    let n = conn.execute(
        "UPDATE api_keys SET prefix = ?2, key_hash = ?3, expires_at = ?4, created_at = ?5, last_used_at = NULL
         WHERE id = ?1 AND revoked_at IS NULL",
        params![id, prefix, key_hash, expires_at, super::now_text(conn)?],
    )?;
    super::credential_epoch::bump(conn)?;
    Ok(n == 1)
}

/// Deletes (revokes) a key by id regardless of who created it; the caller has authorized.
pub fn revoke_by_id(conn: &Connection, id: i64) -> Result<bool, DbError> {
    let n = conn.execute(
        "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, super::now_text(conn)?],
    )?;
    super::credential_epoch::bump(conn)?;
    Ok(n == 1)
}

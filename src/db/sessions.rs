//! Server-side sessions, stored as a hash of the cookie token.
use super::DbError;
use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    pub expires_at: String,
}

pub fn insert(
    conn: &Connection,
    token_hash: &[u8],
    user_id: i64,
    expires_at: &str,
    ip: Option<&str>,
) -> Result<i64, DbError> {
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, ip) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![token_hash, user_id, super::now_text(conn)?, expires_at, ip],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn by_hash(conn: &Connection, token_hash: &[u8]) -> Result<Option<SessionRow>, DbError> {
    Ok(conn
        .query_row("SELECT id, user_id, expires_at FROM sessions WHERE token_hash = ?1", [token_hash], |r| {
            Ok(SessionRow { id: r.get(0)?, user_id: r.get(1)?, expires_at: r.get(2)? })
        })
        .optional()?)
}

pub fn delete(conn: &Connection, id: i64) -> Result<(), DbError> {
    conn.execute("DELETE FROM sessions WHERE id = ?1", [id])?;
    Ok(())
}

/// Ends every session of the user except `keep` (after a password change or reset).
pub fn delete_for_user(conn: &Connection, user_id: i64, keep: Option<i64>) -> Result<usize, DbError> {
    Ok(conn.execute("DELETE FROM sessions WHERE user_id = ?1 AND id IS NOT ?2", params![user_id, keep])?)
}

/// Removes expired sessions; called on sign-in so the table does not grow without bound.
pub fn purge_expired(conn: &Connection, now: &str) -> Result<usize, DbError> {
    Ok(conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])?)
}

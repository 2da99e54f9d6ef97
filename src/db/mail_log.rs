//! What became of each outgoing email (queued, sent, failed).
use super::DbError;
use rusqlite::{params, Connection};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRow {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub status: String,
    pub error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

pub fn insert(conn: &Connection, kind: &str, recipient: &str, subject: &str) -> Result<i64, DbError> {
    conn.execute(
        "INSERT INTO mail_log (kind, recipient, subject, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![kind, recipient, subject, super::now_text(conn)?],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn finish(conn: &Connection, id: i64, error: Option<&str>) -> Result<(), DbError> {
    let status = if error.is_some() { "failed" } else { "sent" };
    conn.execute(
        "UPDATE mail_log SET status = ?2, error = ?3, finished_at = ?4 WHERE id = ?1",
        params![id, status, error, super::now_text(conn)?],
    )?;
    Ok(())
}

/// Recent messages with the given status (or all), newest first.
pub fn list(conn: &Connection, status: Option<&str>) -> Result<Vec<MailRow>, DbError> {
    let mut stmt = conn.prepare(
        "SELECT id, kind, recipient, subject, status, error, created_at, finished_at FROM mail_log
         WHERE ?1 IS NULL OR status = ?1 ORDER BY id DESC LIMIT 500",
    )?;
    let rows = stmt
        .query_map([status], |r| {
            Ok(MailRow {
                id: r.get(0)?,
                kind: r.get(1)?,
                recipient: r.get(2)?,
                subject: r.get(3)?,
                status: r.get(4)?,
                error: r.get(5)?,
                created_at: r.get(6)?,
                finished_at: r.get(7)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

//! Support requests filed through the contact form (ownership recovery among them).
use super::DbError;
use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportRow {
    pub id: i64,
    pub kind: String,
    pub package_id: Option<String>,
    pub message: String,
    pub contact_email: String,
    pub username: Option<String>,
    pub requester_id: Option<i64>,
    pub status: String,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    pub resolution: Option<String>,
}

pub struct NewSupportRequest<'a> {
    pub kind: &'a str,
    pub package_id: Option<&'a str>,
    pub message: &'a str,
    pub contact_email: &'a str,
    pub username: Option<&'a str>,
    pub requester_id: Option<i64>,
    pub ip: Option<&'a str>,
}

const COLUMNS: &str =
    "id, kind, package_id, message, contact_email, username, requester_id, status, created_at, closed_at, closed_by, resolution";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SupportRow> {
    Ok(SupportRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        package_id: r.get(2)?,
        message: r.get(3)?,
        contact_email: r.get(4)?,
        username: r.get(5)?,
        requester_id: r.get(6)?,
        status: r.get(7)?,
        created_at: r.get(8)?,
        closed_at: r.get(9)?,
        closed_by: r.get(10)?,
        resolution: r.get(11)?,
    })
}

pub fn insert(conn: &Connection, r: &NewSupportRequest<'_>) -> Result<i64, DbError> {
    conn.execute(
        "INSERT INTO support_requests (kind, package_id, message, contact_email, username, requester_id, ip, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![r.kind, r.package_id, r.message, r.contact_email, r.username, r.requester_id, r.ip, super::now_text(conn)?],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn by_id(conn: &Connection, id: i64) -> Result<Option<SupportRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM support_requests WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], from_row).optional()?)
}

/// Requests with the given status (or all), newest first.
pub fn list(conn: &Connection, status: Option<&str>) -> Result<Vec<SupportRow>, DbError> {
    let sql =
        format!("SELECT {COLUMNS} FROM support_requests WHERE ?1 IS NULL OR status = ?1 ORDER BY id DESC LIMIT 500");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([status], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Closes an open request; false when it was already closed.
pub fn close(conn: &Connection, id: i64, by: &str, resolution: &str) -> Result<bool, DbError> {
    let n = conn.execute(
        "UPDATE support_requests SET status = 'closed', closed_at = ?2, closed_by = ?3, resolution = ?4 WHERE id = ?1 AND status = 'open'",
        params![id, super::now_text(conn)?, by, resolution],
    )?;
    Ok(n == 1)
}

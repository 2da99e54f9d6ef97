//! The audit log: who did what, when, from where.
use super::DbError;
use rusqlite::{params, Connection};

#[derive(Debug, Default)]
pub struct AuditEntry<'a> {
    pub actor_id: Option<i64>,
    pub actor_name: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub action: &'a str,
    pub package_id: Option<&'a str>,
    pub version: Option<&'a str>,
    pub detail: Option<&'a str>,
}

pub fn record(conn: &Connection, e: &AuditEntry<'_>) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO audit_log (at, actor_id, actor_name, ip, action, package_id, version, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![super::now_text(conn)?, e.actor_id, e.actor_name, e.ip, e.action, e.package_id, e.version, e.detail],
    )?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor_name: Option<String>,
    pub ip: Option<String>,
    pub action: String,
    pub package_id: Option<String>,
    pub version: Option<String>,
    pub detail: Option<String>,
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        id: r.get(0)?,
        at: r.get(1)?,
        actor_name: r.get(2)?,
        ip: r.get(3)?,
        action: r.get(4)?,
        package_id: r.get(5)?,
        version: r.get(6)?,
        detail: r.get(7)?,
    })
}

pub fn for_package(conn: &Connection, id_lower: &str) -> Result<Vec<AuditRow>, DbError> {
    let mut stmt = conn.prepare(
        "SELECT id, at, actor_name, ip, action, package_id, version, detail FROM audit_log
         WHERE lower(package_id) = ?1 ORDER BY id DESC LIMIT 500",
    )?;
    let rows = stmt.query_map([id_lower], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Filters for the admins' view; `None` matches everything. `action` matches a prefix (`owner.`).
#[derive(Debug, Default)]
pub struct AuditFilter<'a> {
    pub package_lower: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub action_prefix: Option<&'a str>,
    pub before_id: Option<i64>,
    pub limit: u32,
}

pub fn list(conn: &Connection, f: &AuditFilter<'_>) -> Result<Vec<AuditRow>, DbError> {
    let mut stmt = conn.prepare(
        "SELECT id, at, actor_name, ip, action, package_id, version, detail FROM audit_log
         WHERE (?1 IS NULL OR lower(package_id) = ?1)
           AND (?2 IS NULL OR lower(actor_name) = lower(?2))
           AND (?3 IS NULL OR substr(action, 1, length(?3)) = ?3)
           AND (?4 IS NULL OR id < ?4)
         ORDER BY id DESC LIMIT ?5",
    )?;
    let rows = stmt
        .query_map(params![f.package_lower, f.actor, f.action_prefix, f.before_id, f.limit], from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

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
        params![super::now_text(), e.actor_id, e.actor_name, e.ip, e.action, e.package_id, e.version, e.detail],
    )?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub at: String,
    pub actor_name: Option<String>,
    pub ip: Option<String>,
    pub action: String,
    pub package_id: Option<String>,
    pub version: Option<String>,
    pub detail: Option<String>,
}

pub fn for_package(conn: &Connection, id_lower: &str) -> Result<Vec<AuditRow>, DbError> {
    let mut stmt = conn.prepare(
        "SELECT at, actor_name, ip, action, package_id, version, detail FROM audit_log
         WHERE lower(package_id) = ?1 ORDER BY id DESC LIMIT 500",
    )?;
    let rows = stmt
        .query_map([id_lower], |r| {
            Ok(AuditRow {
                at: r.get(0)?,
                actor_name: r.get(1)?,
                ip: r.get(2)?,
                action: r.get(3)?,
                package_id: r.get(4)?,
                version: r.get(5)?,
                detail: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

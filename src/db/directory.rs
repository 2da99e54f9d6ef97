//! Directory-managed accounts (`directory_accounts`) and the organization memberships group
//! mappings gave (`mapped_memberships`).
use super::DbError;
use rusqlite::{params, Connection, OptionalExtension};

/// The DN of a directory-managed account; `None` for a local account.
pub fn dn_of(conn: &Connection, user_id: i64) -> Result<Option<String>, DbError> {
    Ok(conn.query_row("SELECT dn FROM directory_accounts WHERE user_id = ?1", [user_id], |r| r.get(0)).optional()?)
}

/// Marks the account directory-managed (or records its current DN and that it was just read).
pub fn link(conn: &Connection, user_id: i64, dn: &str) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO directory_accounts (user_id, dn, synced_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (user_id) DO UPDATE SET dn = excluded.dn, synced_at = excluded.synced_at",
        params![user_id, dn, super::now_text(conn)?],
    )?;
    Ok(())
}

/// The ids and usernames of the enabled directory-managed accounts (what `ldap-sync` checks).
pub fn enabled_accounts(conn: &Connection) -> Result<Vec<(i64, String)>, DbError> {
    let mut stmt = conn.prepare(
        "SELECT u.id, u.username FROM directory_accounts d JOIN users u ON u.id = d.user_id
         WHERE u.is_disabled = 0 ORDER BY u.id",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The organizations in which the user's membership came from a mapping.
pub fn mapped_orgs(conn: &Connection, user_id: i64) -> Result<Vec<i64>, DbError> {
    let mut stmt = conn.prepare("SELECT org_id FROM mapped_memberships WHERE user_id = ?1 ORDER BY org_id")?;
    let rows = stmt.query_map([user_id], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Records that the (existing) membership came from a mapping.
pub fn mark_mapped(conn: &Connection, org_id: i64, user_id: i64) -> Result<(), DbError> {
    conn.execute(
        "INSERT OR IGNORE INTO mapped_memberships (org_id, user_id) VALUES (?1, ?2)",
        params![org_id, user_id],
    )?;
    Ok(())
}

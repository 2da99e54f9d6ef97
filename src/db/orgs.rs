//! Organization membership.
use super::DbError;
use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub user_id: i64,
    pub username: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRow {
    pub org_id: i64,
    pub org_name: String,
    pub role: String,
}

/// Adds the member or changes its role.
pub fn upsert_member(conn: &Connection, org_id: i64, user_id: i64, role: &str) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO org_members (org_id, user_id, role, added_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
        params![org_id, user_id, role, super::now_text(conn)?],
    )?;
    Ok(())
}

pub fn remove_member(conn: &Connection, org_id: i64, user_id: i64) -> Result<bool, DbError> {
    let removed =
        conn.execute("DELETE FROM org_members WHERE org_id = ?1 AND user_id = ?2", params![org_id, user_id])?;
    super::credential_epoch::bump(conn)?;
    Ok(removed == 1)
}

pub fn role_of(conn: &Connection, org_id: i64, user_id: i64) -> Result<Option<String>, DbError> {
    Ok(conn
        .query_row("SELECT role FROM org_members WHERE org_id = ?1 AND user_id = ?2", params![org_id, user_id], |r| {
            r.get(0)
        })
        .optional()?)
}

pub fn members(conn: &Connection, org_id: i64) -> Result<Vec<MemberRow>, DbError> {
    let mut stmt = conn.prepare(
        "SELECT m.user_id, u.username, m.role FROM org_members m JOIN users u ON u.id = m.user_id
         WHERE m.org_id = ?1 ORDER BY u.username_lower",
    )?;
    let rows = stmt
        .query_map([org_id], |r| Ok(MemberRow { user_id: r.get(0)?, username: r.get(1)?, role: r.get(2)? }))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Organizations the user belongs to (enabled ones only: a disabled organization acts for nobody).
pub fn memberships(conn: &Connection, user_id: i64) -> Result<Vec<MembershipRow>, DbError> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.org_id, u.username, m.role FROM org_members m JOIN users u ON u.id = m.org_id
         WHERE m.user_id = ?1 AND u.is_disabled = 0 ORDER BY u.username_lower",
    )?;
    let rows = stmt
        .query_map([user_id], |r| Ok(MembershipRow { org_id: r.get(0)?, org_name: r.get(1)?, role: r.get(2)? }))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn admin_count(conn: &Connection, org_id: i64) -> Result<i64, DbError> {
    Ok(conn
        .query_row("SELECT count(*) FROM org_members WHERE org_id = ?1 AND role = 'admin'", [org_id], |r| r.get(0))?)
}

//! Directory-managed accounts (`directory_accounts`) and the organization memberships group
//! mappings gave (`mapped_memberships`).
use super::sql::Sql;
use super::DbError;
use crate::values;

/// The DN of a directory-managed account; `None` for a local account.
pub fn dn_of(db: &dyn Sql, user_id: i64) -> Result<Option<String>, DbError> {
    db.query_optional("SELECT dn FROM directory_accounts WHERE user_id = ?1", values![user_id], |r| r.get(0))
}

/// Marks the account directory-managed (or records its current DN and that it was just read).
pub fn link(db: &dyn Sql, user_id: i64, dn: &str) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO directory_accounts (user_id, dn, synced_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (user_id) DO UPDATE SET dn = excluded.dn, synced_at = excluded.synced_at",
        values![user_id, dn, db.now_text()?],
    )?;
    Ok(())
}

/// The ids and usernames of the enabled directory-managed accounts (what `ldap-sync` checks).
pub fn enabled_accounts(db: &dyn Sql) -> Result<Vec<(i64, String)>, DbError> {
    db.query_map(
        "SELECT u.id, u.username FROM directory_accounts d JOIN users u ON u.id = d.user_id
         WHERE u.is_disabled = 0 ORDER BY u.id",
        values![],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// The organizations in which the user's membership came from a mapping.
pub fn mapped_orgs(db: &dyn Sql, user_id: i64) -> Result<Vec<i64>, DbError> {
    db.query_map("SELECT org_id FROM mapped_memberships WHERE user_id = ?1 ORDER BY org_id", values![user_id], |r| {
        r.get(0)
    })
}

/// Records that the (existing) membership came from a mapping.
pub fn mark_mapped(db: &dyn Sql, org_id: i64, user_id: i64) -> Result<(), DbError> {
    db.execute("INSERT OR IGNORE INTO mapped_memberships (org_id, user_id) VALUES (?1, ?2)", values![org_id, user_id])?;
    Ok(())
}

//! Single-use tokens sent by email (address confirmation, password reset), stored as a hash.
use super::sql::Sql;
use super::DbError;
use crate::values;

#[derive(Debug, Clone)]
pub struct EmailTokenRow {
    pub id: i64,
    pub user_id: i64,
    pub email: String,
    pub expires_at: String,
    pub used_at: Option<String>,
}

pub fn insert(
    db: &dyn Sql,
    user_id: i64,
    purpose: &str,
    token_hash: &[u8],
    email: &str,
    expires_at: &str,
) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO email_tokens (user_id, purpose, token_hash, email, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        values![user_id, purpose, token_hash, email, db.now_text()?, expires_at],
    )?;
    Ok(())
}

pub fn by_hash(db: &dyn Sql, purpose: &str, token_hash: &[u8]) -> Result<Option<EmailTokenRow>, DbError> {
    db.query_optional(
        "SELECT id, user_id, email, expires_at, used_at FROM email_tokens WHERE purpose = ?1 AND token_hash = ?2",
        values![purpose, token_hash],
        |r| {
            Ok(EmailTokenRow {
                id: r.get(0)?,
                user_id: r.get(1)?,
                email: r.get(2)?,
                expires_at: r.get(3)?,
                used_at: r.get(4)?,
            })
        },
    )
}

/// Marks the token used; false when another request used it first.
pub fn mark_used(db: &dyn Sql, id: i64) -> Result<bool, DbError> {
    Ok(db.execute(
        "UPDATE email_tokens SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL",
        values![id, db.now_text()?],
    )? == 1)
}

/// Retires the user's unused tokens of a purpose, so only the newest link works.
pub fn retire_for_user(db: &dyn Sql, user_id: i64, purpose: &str) -> Result<(), DbError> {
    db.execute(
        "UPDATE email_tokens SET used_at = ?3 WHERE user_id = ?1 AND purpose = ?2 AND used_at IS NULL",
        values![user_id, purpose, db.now_text()?],
    )?;
    Ok(())
}

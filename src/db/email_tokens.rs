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

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::on_both_engines;
    use crate::db::test_rows::user;

    #[test]
    fn email_tokens_are_used_once_on_both_engines() {
        on_both_engines(|db| {
            let alice = db.tx(|tx| user(tx, "alice")).unwrap();
            let expires = "2999-01-01T00:00:00.000Z";
            db.tx(|tx| insert(tx, alice, "confirm-email", b"t1", "alice@new.example", expires)).unwrap();
            db.tx(|tx| insert(tx, alice, "reset-password", b"t2", "alice@example.com", expires)).unwrap();

            let found = db.tx(|tx| by_hash(tx, "confirm-email", b"t1")).unwrap().unwrap();
            assert_eq!(
                (found.user_id, found.email.as_str(), found.expires_at.as_str()),
                (alice, "alice@new.example", expires)
            );
            assert!(found.used_at.is_none());
            assert!(db.tx(|tx| by_hash(tx, "reset-password", b"t1")).unwrap().is_none(), "a purpose of its own");

            // The same token twice, or a purpose the schema does not know, stores nothing.
            let twice = db.tx(|tx| insert(tx, alice, "reset-password", b"t1", "x@example.com", expires)).unwrap_err();
            assert!(twice.is_unique_violation(), "{twice}");
            assert!(db.tx(|tx| insert(tx, alice, "other", b"t3", "x@example.com", expires)).is_err());
            assert!(db.tx(|tx| by_hash(tx, "other", b"t3")).unwrap().is_none());

            assert!(db.tx(|tx| mark_used(tx, found.id)).unwrap());
            assert!(!db.tx(|tx| mark_used(tx, found.id)).unwrap());
            assert!(db.tx(|tx| by_hash(tx, "confirm-email", b"t1")).unwrap().unwrap().used_at.is_some());

            db.tx(|tx| retire_for_user(tx, alice, "reset-password")).unwrap();
            let retired = db.tx(|tx| by_hash(tx, "reset-password", b"t2")).unwrap().unwrap();
            assert!(retired.used_at.is_some());
            assert!(!db.tx(|tx| mark_used(tx, retired.id)).unwrap());
        });
    }
}

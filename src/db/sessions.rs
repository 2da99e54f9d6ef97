//! Server-side sessions, stored as a hash of the cookie token.
use super::sql::Sql;
use super::DbError;
use crate::values;

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    pub expires_at: String,
}

pub fn insert(
    db: &dyn Sql,
    token_hash: &[u8],
    user_id: i64,
    expires_at: &str,
    ip: Option<&str>,
) -> Result<i64, DbError> {
    db.query_row(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, ip) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        values![token_hash, user_id, db.now_text()?, expires_at, ip],
        |r| r.get(0),
    )
}

pub fn by_hash(db: &dyn Sql, token_hash: &[u8]) -> Result<Option<SessionRow>, DbError> {
    db.query_optional("SELECT id, user_id, expires_at FROM sessions WHERE token_hash = ?1", values![token_hash], |r| {
        Ok(SessionRow { id: r.get(0)?, user_id: r.get(1)?, expires_at: r.get(2)? })
    })
}

pub fn delete(db: &dyn Sql, id: i64) -> Result<(), DbError> {
    db.execute("DELETE FROM sessions WHERE id = ?1", values![id])?;
    Ok(())
}

/// Ends every session of the user except `keep` (after a password change or reset).
pub fn delete_for_user(db: &dyn Sql, user_id: i64, keep: Option<i64>) -> Result<u64, DbError> {
    db.execute("DELETE FROM sessions WHERE user_id = ?1 AND id IS DISTINCT FROM ?2", values![user_id, keep])
}

/// Removes expired sessions; called on sign-in so the table does not grow without bound.
pub fn purge_expired(db: &dyn Sql, now: &str) -> Result<u64, DbError> {
    db.execute("DELETE FROM sessions WHERE expires_at <= ?1", values![now])
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::on_both_engines;

    fn user(db: &dyn Sql, name: &str) -> Result<i64, DbError> {
        db.query_row(
            "INSERT INTO users (username, username_lower, email, email_lower, created_at)
             VALUES (?1, lower(?1), ?2, lower(?2), ?3) RETURNING id",
            values![name, format!("{name}@example.com"), db.now_text()?],
            |r| r.get(0),
        )
    }

    #[test]
    fn sessions_live_and_end_on_both_engines() {
        on_both_engines(|db| {
            let alice = db.tx(|tx| user(tx, "alice")).unwrap();
            let bob = db.tx(|tx| user(tx, "bob")).unwrap();
            let a1 = db.tx(|tx| insert(tx, b"token-a1", alice, "2000-01-01T00:00:00.000Z", Some("127.0.0.1"))).unwrap();
            let a2 = db.tx(|tx| insert(tx, b"token-a2", alice, "2999-01-01T00:00:00.000Z", None)).unwrap();
            let a3 = db.tx(|tx| insert(tx, b"token-a3", alice, "2999-01-01T00:00:00.000Z", None)).unwrap();
            let b1 = db.tx(|tx| insert(tx, &[0, 255, 1], bob, "2999-01-01T00:00:00.000Z", None)).unwrap();

            let found = db.tx(|tx| by_hash(tx, &[0, 255, 1])).unwrap().unwrap();
            assert_eq!((found.id, found.user_id, found.expires_at.as_str()), (b1, bob, "2999-01-01T00:00:00.000Z"));
            assert!(db.tx(|tx| by_hash(tx, b"nothing")).unwrap().is_none());

            // The same token twice is the database's to refuse, and nothing is stored.
            let twice = db.tx(|tx| insert(tx, b"token-a2", bob, "2999-01-01T00:00:00.000Z", None)).unwrap_err();
            assert!(twice.is_unique_violation(), "{twice}");
            assert_eq!(db.tx(|tx| by_hash(tx, b"token-a2")).unwrap().unwrap().user_id, alice);

            assert_eq!(db.tx(|tx| purge_expired(tx, "2024-01-01T00:00:00.000Z")).unwrap(), 1);
            assert!(db.tx(|tx| by_hash(tx, b"token-a1")).unwrap().is_none(), "{a1}");
            // Every other session of alice ends, the kept one and bob's stay.
            assert_eq!(db.tx(|tx| delete_for_user(tx, alice, Some(a3))).unwrap(), 1);
            assert!(db.tx(|tx| by_hash(tx, b"token-a2")).unwrap().is_none(), "{a2}");
            assert_eq!(db.tx(|tx| by_hash(tx, b"token-a3")).unwrap().unwrap().id, a3);
            assert_eq!(db.tx(|tx| delete_for_user(tx, alice, None)).unwrap(), 1);
            db.tx(|tx| delete(tx, b1)).unwrap();
            assert!(db.tx(|tx| by_hash(tx, &[0, 255, 1])).unwrap().is_none());
        });
    }
}

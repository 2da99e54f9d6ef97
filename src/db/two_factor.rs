//! Two-factor authentication rows: the TOTP secret and its last accepted step, the recovery
//! codes (hashed) and the half-finished sign-ins waiting for a code.
use super::sql::Sql;
use super::DbError;
use crate::values;

#[derive(Debug, Clone)]
pub struct TwoFactorRow {
    pub secret: Vec<u8>,
    pub enabled: bool,
    pub last_step: i64,
}

pub fn get(db: &dyn Sql, user_id: i64) -> Result<Option<TwoFactorRow>, DbError> {
    db.query_optional(
        "SELECT secret, enabled_at IS NOT NULL, last_step FROM two_factor WHERE user_id = ?1",
        values![user_id],
        |r| Ok(TwoFactorRow { secret: r.get(0)?, enabled: r.get(1)?, last_step: r.get(2)? }),
    )
}

pub fn is_enabled(db: &dyn Sql, user_id: i64) -> Result<bool, DbError> {
    Ok(get(db, user_id)?.is_some_and(|row| row.enabled))
}

/// Starts (or restarts) an enrolment with a new secret; never touches an enabled row.
pub fn begin(db: &dyn Sql, user_id: i64, secret: &[u8]) -> Result<bool, DbError> {
    let changed = db.execute(
        "INSERT INTO two_factor (user_id, secret, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at, last_step = 0
         WHERE two_factor.enabled_at IS NULL",
        values![user_id, secret, db.now_text()?],
    )?;
    Ok(changed == 1)
}

/// Records `step` as used when it is later than every step used before: `false` means the code
/// was already used (a replay), so the database decides even between two racing requests.
pub fn use_step(db: &dyn Sql, user_id: i64, step: i64) -> Result<bool, DbError> {
    Ok(db.execute(
        "UPDATE two_factor SET last_step = ?2 WHERE user_id = ?1 AND last_step < ?2",
        values![user_id, step],
    )? == 1)
}

/// Switches 2FA on and stores the recovery codes' hashes (replacing any earlier ones).
pub fn enable(db: &dyn Sql, user_id: i64, recovery_hashes: &[Vec<u8>]) -> Result<(), DbError> {
    db.execute(
        "UPDATE two_factor SET enabled_at = ?2 WHERE user_id = ?1 AND enabled_at IS NULL",
        values![user_id, db.now_text()?],
    )?;
    db.execute("DELETE FROM two_factor_recovery WHERE user_id = ?1", values![user_id])?;
    for hash in recovery_hashes {
        db.execute(
            "INSERT INTO two_factor_recovery (user_id, code_hash) VALUES (?1, ?2)",
            values![user_id, hash.as_slice()],
        )?;
    }
    Ok(())
}

/// Removes everything 2FA of the account (disable, administrator reset); `true` when it had any.
pub fn remove(db: &dyn Sql, user_id: i64) -> Result<bool, DbError> {
    let had = db.execute("DELETE FROM two_factor WHERE user_id = ?1", values![user_id])? > 0;
    db.execute("DELETE FROM two_factor_recovery WHERE user_id = ?1", values![user_id])?;
    db.execute("DELETE FROM two_factor_pending WHERE user_id = ?1", values![user_id])?;
    Ok(had)
}

/// Marks an unused recovery code of the account used; `false` when there is none such.
pub fn use_recovery_code(db: &dyn Sql, user_id: i64, code_hash: &[u8]) -> Result<bool, DbError> {
    Ok(db.execute(
        "UPDATE two_factor_recovery SET used_at = ?3 WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
        values![user_id, code_hash, db.now_text()?],
    )? == 1)
}

pub fn recovery_codes_left(db: &dyn Sql, user_id: i64) -> Result<i64, DbError> {
    db.query_row(
        "SELECT COUNT(*) FROM two_factor_recovery WHERE user_id = ?1 AND used_at IS NULL",
        values![user_id],
        |r| r.get(0),
    )
}

#[derive(Debug, Clone)]
pub struct PendingRow {
    pub id: i64,
    pub user_id: i64,
    pub expires_at: String,
}

pub fn insert_pending(
    db: &dyn Sql,
    token_hash: &[u8],
    user_id: i64,
    expires_at: &str,
    ip: Option<&str>,
    now: &str,
) -> Result<(), DbError> {
    // Expired half sign-ins are cleared here so the table does not grow without bound.
    db.execute("DELETE FROM two_factor_pending WHERE expires_at <= ?1", values![now])?;
    db.execute(
        "INSERT INTO two_factor_pending (token_hash, user_id, expires_at, ip) VALUES (?1, ?2, ?3, ?4)",
        values![token_hash, user_id, expires_at, ip],
    )?;
    Ok(())
}

pub fn pending_by_hash(db: &dyn Sql, token_hash: &[u8]) -> Result<Option<PendingRow>, DbError> {
    db.query_optional(
        "SELECT id, user_id, expires_at FROM two_factor_pending WHERE token_hash = ?1",
        values![token_hash],
        |r| Ok(PendingRow { id: r.get(0)?, user_id: r.get(1)?, expires_at: r.get(2)? }),
    )
}

pub fn delete_pending(db: &dyn Sql, id: i64) -> Result<(), DbError> {
    db.execute("DELETE FROM two_factor_pending WHERE id = ?1", values![id])?;
    Ok(())
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::on_both_engines;
    use crate::db::test_rows::user;

    #[test]
    fn two_factor_enrols_refuses_replays_and_resets_on_both_engines() {
        on_both_engines(|db| {
            let alice = db.tx(|tx| user(tx, "alice")).unwrap();
            assert!(db.tx(|tx| get(tx, alice)).unwrap().is_none());
            assert!(db.tx(|tx| begin(tx, alice, b"secret-1")).unwrap());
            // Restarting an enrolment replaces the secret while it is not enabled.
            assert!(db.tx(|tx| begin(tx, alice, b"secret-2")).unwrap());
            let row = db.tx(|tx| get(tx, alice)).unwrap().unwrap();
            assert_eq!((row.secret.as_slice(), row.enabled, row.last_step), (&b"secret-2"[..], false, 0));

            let codes = vec![b"code-1".to_vec(), b"code-2".to_vec()];
            db.tx(|tx| enable(tx, alice, &codes)).unwrap();
            assert!(db.tx(|tx| is_enabled(tx, alice)).unwrap());
            assert!(!db.tx(|tx| begin(tx, alice, b"secret-3")).unwrap(), "an enabled secret stays");
            assert_eq!(db.tx(|tx| get(tx, alice)).unwrap().unwrap().secret, b"secret-2");

            // A step is good once, and never one older than the last used.
            assert!(db.tx(|tx| use_step(tx, alice, 100)).unwrap());
            assert!(!db.tx(|tx| use_step(tx, alice, 100)).unwrap());
            assert!(!db.tx(|tx| use_step(tx, alice, 99)).unwrap());
            assert!(db.tx(|tx| use_step(tx, alice, 101)).unwrap());

            assert_eq!(db.tx(|tx| recovery_codes_left(tx, alice)).unwrap(), 2);
            assert!(db.tx(|tx| use_recovery_code(tx, alice, b"code-1")).unwrap());
            assert!(!db.tx(|tx| use_recovery_code(tx, alice, b"code-1")).unwrap());
            assert!(!db.tx(|tx| use_recovery_code(tx, alice, b"other")).unwrap());
            assert_eq!(db.tx(|tx| recovery_codes_left(tx, alice)).unwrap(), 1);

            let now = "2024-01-01T00:00:00.000Z";
            db.tx(|tx| insert_pending(tx, b"old", alice, "2023-01-01T00:00:00.000Z", None, "2022-01-01T00:00:00.000Z"))
                .unwrap();
            db.tx(|tx| insert_pending(tx, b"new", alice, "2999-01-01T00:00:00.000Z", Some("127.0.0.1"), now)).unwrap();
            assert!(db.tx(|tx| pending_by_hash(tx, b"old")).unwrap().is_none(), "expired ones are cleared");
            let pending = db.tx(|tx| pending_by_hash(tx, b"new")).unwrap().unwrap();
            assert_eq!((pending.user_id, pending.expires_at.as_str()), (alice, "2999-01-01T00:00:00.000Z"));
            let twice =
                db.tx(|tx| insert_pending(tx, b"new", alice, "2999-01-01T00:00:00.000Z", None, now)).unwrap_err();
            assert!(twice.is_unique_violation(), "{twice}");
            db.tx(|tx| delete_pending(tx, pending.id)).unwrap();
            assert!(db.tx(|tx| pending_by_hash(tx, b"new")).unwrap().is_none());

            db.tx(|tx| insert_pending(tx, b"again", alice, "2999-01-01T00:00:00.000Z", None, now)).unwrap();
            assert!(db.tx(|tx| remove(tx, alice)).unwrap());
            assert!(!db.tx(|tx| remove(tx, alice)).unwrap());
            assert!(!db.tx(|tx| is_enabled(tx, alice)).unwrap());
            assert_eq!(db.tx(|tx| recovery_codes_left(tx, alice)).unwrap(), 0);
            assert!(db.tx(|tx| pending_by_hash(tx, b"again")).unwrap().is_none());
        });
    }
}

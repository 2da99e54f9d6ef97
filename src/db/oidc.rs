//! OIDC rows: linked provider identities and the sign-ins under way (`migrations/0009`).
use super::sql::Sql;
use super::DbError;
use crate::values;

/// A sign-in sent to a provider, waiting for its callback.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    pub provider: String,
    pub browser_hash: Vec<u8>,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_url: String,
    pub link_user_id: Option<i64>,
    pub expires_at: String,
}

pub fn insert_login(db: &dyn Sql, state_hash: &[u8], login: &PendingLogin) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO oidc_logins (state_hash, provider, browser_hash, nonce, pkce_verifier, return_url, link_user_id,
                                  expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        values![
            state_hash,
            login.provider.as_str(),
            login.browser_hash.as_slice(),
            login.nonce.as_str(),
            login.pkce_verifier.as_str(),
            login.return_url.as_str(),
            login.link_user_id,
            login.expires_at.as_str()
        ],
    )?;
    Ok(())
}

/// Removes and returns the sign-in with this state: a state is good for one callback only, so a
/// replayed callback finds nothing.
pub fn take_login(db: &dyn Sql, state_hash: &[u8]) -> Result<Option<PendingLogin>, DbError> {
    db.query_optional(
        "DELETE FROM oidc_logins WHERE state_hash = ?1
         RETURNING provider, browser_hash, nonce, pkce_verifier, return_url, link_user_id, expires_at",
        values![state_hash],
        |r| {
            Ok(PendingLogin {
                provider: r.get(0)?,
                browser_hash: r.get(1)?,
                nonce: r.get(2)?,
                pkce_verifier: r.get(3)?,
                return_url: r.get(4)?,
                link_user_id: r.get(5)?,
                expires_at: r.get(6)?,
            })
        },
    )
}

/// Drops sign-ins whose time is up; called when a new one starts so the table stays small.
pub fn purge_expired_logins(db: &dyn Sql, now: &str) -> Result<u64, DbError> {
    db.execute("DELETE FROM oidc_logins WHERE expires_at <= ?1", values![now])
}

/// The account a provider's subject is linked to.
pub fn user_of(db: &dyn Sql, provider: &str, subject: &str) -> Result<Option<i64>, DbError> {
    db.query_optional(
        "SELECT user_id FROM oidc_identities WHERE provider = ?1 AND subject = ?2",
        values![provider, subject],
        |r| r.get(0),
    )
}

/// Links a subject to an account; a UNIQUE violation means it is linked to an account already.
pub fn link(db: &dyn Sql, provider: &str, subject: &str, user_id: i64) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO oidc_identities (provider, subject, user_id, linked_at) VALUES (?1, ?2, ?3, ?4)",
        values![provider, subject, user_id, db.now_text()?],
    )?;
    Ok(())
}

pub fn touch(db: &dyn Sql, provider: &str, subject: &str) -> Result<(), DbError> {
    db.execute(
        "UPDATE oidc_identities SET last_sign_in_at = ?3 WHERE provider = ?1 AND subject = ?2",
        values![provider, subject, db.now_text()?],
    )?;
    Ok(())
}

/// The providers an account is linked to.
pub fn providers_of(db: &dyn Sql, user_id: i64) -> Result<Vec<String>, DbError> {
    db.query_map("SELECT provider FROM oidc_identities WHERE user_id = ?1 ORDER BY provider", values![user_id], |r| {
        r.get(0)
    })
}

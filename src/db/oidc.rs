//! OIDC rows: linked provider identities and the sign-ins under way (`migrations/0009`).
use super::DbError;
use rusqlite::{params, Connection, OptionalExtension};

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

pub fn insert_login(conn: &Connection, state_hash: &[u8], login: &PendingLogin) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO oidc_logins (state_hash, provider, browser_hash, nonce, pkce_verifier, return_url, link_user_id,
                                  expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            state_hash,
            login.provider,
            login.browser_hash,
            login.nonce,
            login.pkce_verifier,
            login.return_url,
            login.link_user_id,
            login.expires_at
        ],
    )?;
    Ok(())
}

/// Removes and returns the sign-in with this state: a state is good for one callback only, so a
/// replayed callback finds nothing.
pub fn take_login(conn: &Connection, state_hash: &[u8]) -> Result<Option<PendingLogin>, DbError> {
    Ok(conn
        .query_row(
            "DELETE FROM oidc_logins WHERE state_hash = ?1
             RETURNING provider, browser_hash, nonce, pkce_verifier, return_url, link_user_id, expires_at",
            [state_hash],
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
        .optional()?)
}

/// Drops sign-ins whose time is up; called when a new one starts so the table stays small.
pub fn purge_expired_logins(conn: &Connection, now: &str) -> Result<usize, DbError> {
    Ok(conn.execute("DELETE FROM oidc_logins WHERE expires_at <= ?1", [now])?)
}

/// The account a provider's subject is linked to.
pub fn user_of(conn: &Connection, provider: &str, subject: &str) -> Result<Option<i64>, DbError> {
    Ok(conn
        .query_row(
            "SELECT user_id FROM oidc_identities WHERE provider = ?1 AND subject = ?2",
            params![provider, subject],
            |r| r.get(0),
        )
        .optional()?)
}

/// Links a subject to an account; a UNIQUE violation means it is linked to an account already.
pub fn link(conn: &Connection, provider: &str, subject: &str, user_id: i64) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO oidc_identities (provider, subject, user_id, linked_at) VALUES (?1, ?2, ?3, ?4)",
        params![provider, subject, user_id, super::now_text(conn)?],
    )?;
    Ok(())
}

pub fn touch(conn: &Connection, provider: &str, subject: &str) -> Result<(), DbError> {
    conn.execute(
        "UPDATE oidc_identities SET last_sign_in_at = ?3 WHERE provider = ?1 AND subject = ?2",
        params![provider, subject, super::now_text(conn)?],
    )?;
    Ok(())
}

/// The providers an account is linked to.
pub fn providers_of(conn: &Connection, user_id: i64) -> Result<Vec<String>, DbError> {
    let mut stmt = conn.prepare("SELECT provider FROM oidc_identities WHERE user_id = ?1 ORDER BY provider")?;
    let rows = stmt.query_map([user_id], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(rows)
}

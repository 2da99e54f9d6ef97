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

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::on_both_engines;
    use crate::db::test_rows::user;

    fn login(link_user_id: Option<i64>, expires_at: &str) -> PendingLogin {
        PendingLogin {
            provider: "corp".to_owned(),
            browser_hash: vec![1, 2, 3],
            nonce: "nonce".to_owned(),
            pkce_verifier: "verifier".to_owned(),
            return_url: "/packages".to_owned(),
            link_user_id,
            expires_at: expires_at.to_owned(),
        }
    }

    #[test]
    fn oidc_logins_are_taken_once_and_identities_link_once_on_both_engines() {
        on_both_engines(|db| {
            let alice = db.tx(|tx| user(tx, "alice")).unwrap();
            let bob = db.tx(|tx| user(tx, "bob")).unwrap();
            db.tx(|tx| insert_login(tx, b"state-1", &login(Some(alice), "2999-01-01T00:00:00.000Z"))).unwrap();
            db.tx(|tx| insert_login(tx, b"state-2", &login(None, "2000-01-01T00:00:00.000Z"))).unwrap();
            let twice = db.tx(|tx| insert_login(tx, b"state-1", &login(None, "2999-01-01T00:00:00.000Z"))).unwrap_err();
            assert!(twice.is_unique_violation(), "{twice}");

            let taken = db.tx(|tx| take_login(tx, b"state-1")).unwrap().unwrap();
            assert_eq!((taken.provider.as_str(), taken.browser_hash.as_slice()), ("corp", &[1, 2, 3][..]));
            assert_eq!((taken.nonce.as_str(), taken.pkce_verifier.as_str()), ("nonce", "verifier"));
            assert_eq!((taken.return_url.as_str(), taken.link_user_id), ("/packages", Some(alice)));
            assert!(db.tx(|tx| take_login(tx, b"state-1")).unwrap().is_none(), "a replayed callback finds nothing");
            assert_eq!(db.tx(|tx| purge_expired_logins(tx, "2024-01-01T00:00:00.000Z")).unwrap(), 1);
            assert!(db.tx(|tx| take_login(tx, b"state-2")).unwrap().is_none());

            assert!(db.tx(|tx| user_of(tx, "corp", "sub-1")).unwrap().is_none());
            db.tx(|tx| link(tx, "corp", "sub-1", alice)).unwrap();
            db.tx(|tx| link(tx, "azure", "sub-9", alice)).unwrap();
            // A subject linked already stays with its account.
            let taken_subject = db.tx(|tx| link(tx, "corp", "sub-1", bob)).unwrap_err();
            assert!(taken_subject.is_unique_violation(), "{taken_subject}");
            assert_eq!(db.tx(|tx| user_of(tx, "corp", "sub-1")).unwrap(), Some(alice));
            db.tx(|tx| touch(tx, "corp", "sub-1")).unwrap();
            assert_eq!(db.tx(|tx| providers_of(tx, alice)).unwrap(), ["azure", "corp"]);
            assert!(db.tx(|tx| providers_of(tx, bob)).unwrap().is_empty());
        });
    }
}

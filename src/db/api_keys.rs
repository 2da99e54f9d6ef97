//! API keys, stored only as a keyed hash of their secret.
use super::sql::{Row, Sql};
use super::DbError;
use crate::values;

#[derive(Debug, Clone)]
pub struct ApiKeyRow {
    pub id: i64,
    pub user_id: i64,
    pub owner_id: i64,
    pub description: String,
    pub prefix: String,
    pub scopes: String,
    pub globs: String,
    /// Explicitly selected package ids, one per line.
    pub package_ids: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

const COLUMNS: &str =
    "id, user_id, owner_id, description, prefix, scopes, globs, created_at, expires_at, last_used_at, revoked_at, package_ids";

fn from_row(r: &Row) -> Result<ApiKeyRow, DbError> {
    Ok(ApiKeyRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        owner_id: r.get(2)?,
        description: r.get(3)?,
        prefix: r.get(4)?,
        scopes: r.get(5)?,
        globs: r.get(6)?,
        created_at: r.get(7)?,
        expires_at: r.get(8)?,
        last_used_at: r.get(9)?,
        revoked_at: r.get(10)?,
        package_ids: r.get(11)?,
    })
}

pub struct NewApiKey<'a> {
    pub user_id: i64,
    pub owner_id: i64,
    pub description: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a [u8],
    pub scopes: &'a str,
    pub globs: &'a str,
    pub package_ids: &'a str,
    pub expires_at: &'a str,
}

pub fn insert(db: &dyn Sql, k: &NewApiKey<'_>) -> Result<i64, DbError> {
    db.query_row(
        "INSERT INTO api_keys (user_id, owner_id, description, prefix, key_hash, scopes, globs, package_ids, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
        values![k.user_id, k.owner_id, k.description, k.prefix, k.key_hash, k.scopes, k.globs, k.package_ids, db.now_text()?, k.expires_at],
        |r| r.get(0),
    )
}

pub fn by_hash(db: &dyn Sql, hash: &[u8]) -> Result<Option<ApiKeyRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE key_hash = ?1");
    db.query_optional(&sql, values![hash], from_row)
}

pub fn for_user(db: &dyn Sql, user_id: i64) -> Result<Vec<ApiKeyRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE user_id = ?1 ORDER BY id");
    db.query_map(&sql, values![user_id], from_row)
}

pub fn touch(db: &dyn Sql, id: i64) -> Result<(), DbError> {
    db.execute("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1", values![id, db.now_text()?])?;
    Ok(())
}

pub fn by_id(db: &dyn Sql, id: i64) -> Result<Option<ApiKeyRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1");
    db.query_optional(&sql, values![id], from_row)
}

/// Keys acting for the given account (a user's own keys, or an organization's keys).
pub fn for_owner(db: &dyn Sql, owner_id: i64) -> Result<Vec<ApiKeyRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE owner_id = ?1 ORDER BY id");
    db.query_map(&sql, values![owner_id], from_row)
}

/// Gives the key a new secret and restarts its lifetime; scopes and package selection stay.
pub fn regenerate(db: &dyn Sql, id: i64, prefix: &str, key_hash: &[u8], expires_at: &str) -> Result<bool, DbError> {
    let n = db.execute(
        "UPDATE api_keys SET prefix = ?2, key_hash = ?3, expires_at = ?4, created_at = ?5, last_used_at = NULL
         WHERE id = ?1 AND revoked_at IS NULL",
        values![id, prefix, key_hash, expires_at, db.now_text()?],
    )?;
    super::credential_epoch::bump(db)?;
    Ok(n == 1)
}

/// Deletes (revokes) a key by id regardless of who created it; the caller has authorized.
pub fn revoke_by_id(db: &dyn Sql, id: i64) -> Result<bool, DbError> {
    let n = db.execute(
        "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        values![id, db.now_text()?],
    )?;
    super::credential_epoch::bump(db)?;
    Ok(n == 1)
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::credential_epoch;
    use crate::db::sql::testing::on_both_engines;
    use crate::db::test_rows::{org, user};

    fn key<'a>(user_id: i64, owner_id: i64, hash: &'a [u8], description: &'a str) -> NewApiKey<'a> {
        NewApiKey {
            user_id,
            owner_id,
            description,
            prefix: "gk_abc",
            key_hash: hash,
            scopes: "push",
            globs: "Contoso.*",
            package_ids: "Contoso.Core",
            expires_at: "2999-01-01T00:00:00.000Z",
        }
    }

    #[test]
    fn api_keys_are_stored_used_regenerated_and_revoked_on_both_engines() {
        on_both_engines(|db| {
            let alice = db.tx(|tx| user(tx, "alice")).unwrap();
            let acme = db.tx(|tx| org(tx, "acme")).unwrap();
            let own = db.tx(|tx| insert(tx, &key(alice, alice, b"hash-1", "ci"))).unwrap();
            let for_org = db.tx(|tx| insert(tx, &key(alice, acme, &[0, 1, 255], "org"))).unwrap();

            let found = db.tx(|tx| by_hash(tx, &[0, 1, 255])).unwrap().unwrap();
            assert_eq!((found.id, found.user_id, found.owner_id), (for_org, alice, acme));
            assert_eq!((found.scopes.as_str(), found.globs.as_str()), ("push", "Contoso.*"));
            assert_eq!((found.package_ids.as_str(), found.description.as_str()), ("Contoso.Core", "org"));
            assert!(found.last_used_at.is_none() && found.revoked_at.is_none());
            assert!(db.tx(|tx| by_hash(tx, b"nothing")).unwrap().is_none());
            let ids = |keys: Vec<ApiKeyRow>| keys.into_iter().map(|k| k.id).collect::<Vec<_>>();
            assert_eq!(ids(db.tx(|tx| for_user(tx, alice)).unwrap()), [own, for_org]);
            assert_eq!(ids(db.tx(|tx| for_owner(tx, acme)).unwrap()), [for_org]);

            // The same secret twice is refused, and nothing is stored.
            let twice = db.tx(|tx| insert(tx, &key(alice, alice, b"hash-1", "again"))).unwrap_err();
            assert!(twice.is_unique_violation(), "{twice}");
            assert_eq!(db.tx(|tx| for_user(tx, alice)).unwrap().len(), 2);

            db.tx(|tx| touch(tx, own)).unwrap();
            assert!(db.tx(|tx| by_id(tx, own)).unwrap().unwrap().last_used_at.is_some());

            let epoch = db.tx(credential_epoch::stored).unwrap();
            assert!(db.tx(|tx| regenerate(tx, own, "gk_new", b"hash-2", "2998-01-01T00:00:00.000Z")).unwrap());
            let renewed = db.tx(|tx| by_hash(tx, b"hash-2")).unwrap().unwrap();
            assert_eq!((renewed.id, renewed.prefix.as_str()), (own, "gk_new"));
            assert_eq!(renewed.expires_at, "2998-01-01T00:00:00.000Z");
            assert!(renewed.last_used_at.is_none());
            assert!(db.tx(|tx| by_hash(tx, b"hash-1")).unwrap().is_none());

            assert!(db.tx(|tx| revoke_by_id(tx, own)).unwrap());
            assert!(!db.tx(|tx| revoke_by_id(tx, own)).unwrap(), "revoked once only");
            assert!(!db.tx(|tx| regenerate(tx, own, "gk_x", b"hash-3", "2998-01-01T00:00:00.000Z")).unwrap());
            assert!(db.tx(|tx| by_id(tx, own)).unwrap().unwrap().revoked_at.is_some());
            assert_eq!(db.tx(credential_epoch::stored).unwrap(), epoch + 4);
        });
    }
}

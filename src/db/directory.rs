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

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::on_both_engines;
    use crate::db::test_rows::{org, user};
    use crate::db::{orgs, users};

    #[test]
    fn directory_accounts_and_mapped_memberships_on_both_engines() {
        on_both_engines(|db| {
            let alice = db.tx(|tx| user(tx, "alice")).unwrap();
            let bob = db.tx(|tx| user(tx, "bob")).unwrap();
            let local = db.tx(|tx| user(tx, "local")).unwrap();
            let acme = db.tx(|tx| org(tx, "acme")).unwrap();
            db.tx(|tx| link(tx, alice, "cn=alice,dc=example")).unwrap();
            db.tx(|tx| link(tx, bob, "cn=bob,dc=example")).unwrap();
            // Linking again records the current DN.
            db.tx(|tx| link(tx, alice, "cn=alice,ou=moved,dc=example")).unwrap();
            assert_eq!(db.tx(|tx| dn_of(tx, alice)).unwrap().as_deref(), Some("cn=alice,ou=moved,dc=example"));
            assert!(db.tx(|tx| dn_of(tx, local)).unwrap().is_none());
            db.tx(|tx| users::set_disabled(tx, bob, true)).unwrap();
            assert_eq!(db.tx(enabled_accounts).unwrap(), [(alice, "alice".to_owned())]);

            // A mapping marks an existing membership only, once.
            assert!(db.tx(|tx| mark_mapped(tx, acme, alice)).is_err());
            assert!(db.tx(|tx| mapped_orgs(tx, alice)).unwrap().is_empty());
            db.tx(|tx| orgs::upsert_member(tx, acme, alice, "collaborator")).unwrap();
            db.tx(|tx| mark_mapped(tx, acme, alice)).unwrap();
            db.tx(|tx| mark_mapped(tx, acme, alice)).unwrap();
            assert_eq!(db.tx(|tx| mapped_orgs(tx, alice)).unwrap(), [acme]);
            db.tx(|tx| orgs::remove_member(tx, acme, alice)).unwrap();
            assert!(db.tx(|tx| mapped_orgs(tx, alice)).unwrap().is_empty(), "goes with the membership");
        });
    }
}

//! Package ownership and pending owner invitations.
use super::sql::{Engine, Row, Sql};
use super::DbError;
use crate::values;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerRow {
    pub user_id: i64,
    pub username: String,
    pub is_organization: bool,
    pub added_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRow {
    pub id: i64,
    pub package_key: i64,
    pub invitee_id: i64,
    pub invitee: String,
    pub inviter: Option<String>,
    pub created_at: String,
    pub expires_at: String,
}

pub fn owners(db: &dyn Sql, package_key: i64) -> Result<Vec<OwnerRow>, DbError> {
    db.query_map(
        "SELECT o.user_id, u.username, u.is_organization, o.added_at FROM package_owners o JOIN users u ON u.id = o.user_id
         WHERE o.package_key = ?1 ORDER BY u.username_lower",
        values![package_key],
        |r| Ok(OwnerRow { user_id: r.get(0)?, username: r.get(1)?, is_organization: r.get(2)?, added_at: r.get(3)? }),
    )
}

/// The usernames owning a package, in name order (what the feeds and the search index show).
pub fn owner_names(db: &dyn Sql, package_key: i64) -> Result<Vec<String>, DbError> {
    db.query_map(
        "SELECT u.username FROM package_owners o JOIN users u ON u.id = o.user_id
         WHERE o.package_key = ?1 ORDER BY u.username_lower",
        values![package_key],
        |r| r.get(0),
    )
}

/// (package key, owner name) for the packages whose keys `keys_json` lists (a JSON array), each
/// package's names in `owner_names` order.
pub fn owner_names_of(db: &dyn Sql, keys_json: &str) -> Result<Vec<(i64, String)>, DbError> {
    // The one statement here the engines cannot share: each spells "the elements of a JSON array"
    // its own way (SQLite's json_each, PostgreSQL's json_array_elements_text). The parameter goes
    // to PostgreSQL as text, so it is cast to text first and then parsed as JSON.
    let sql = match db.engine() {
        Engine::Sqlite => {
            "SELECT o.package_key, u.username FROM package_owners o JOIN users u ON u.id = o.user_id
             WHERE o.package_key IN (SELECT value FROM json_each(?1)) ORDER BY o.package_key, u.username_lower"
        }
        Engine::Postgres => {
            "SELECT o.package_key, u.username FROM package_owners o JOIN users u ON u.id = o.user_id
             WHERE o.package_key IN (SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST(CAST(?1 AS TEXT) AS json)))
             ORDER BY o.package_key, u.username_lower"
        }
    };
    db.query_map(sql, values![keys_json], |r| Ok((r.get(0)?, r.get(1)?)))
}

/// Adds an owner; false when the account already owns the package.
pub fn add_owner(db: &dyn Sql, package_key: i64, user_id: i64) -> Result<bool, DbError> {
    let n = db.execute(
        "INSERT OR IGNORE INTO package_owners (package_key, user_id, added_at) VALUES (?1, ?2, ?3)",
        values![package_key, user_id, db.now_text()?],
    )?;
    Ok(n == 1)
}

pub fn remove_owner(db: &dyn Sql, package_key: i64, user_id: i64) -> Result<bool, DbError> {
    Ok(db
        .execute("DELETE FROM package_owners WHERE package_key = ?1 AND user_id = ?2", values![package_key, user_id])?
        == 1)
}

const INVITATION_SELECT: &str =
    "SELECT i.id, i.package_key, i.invitee_id, e.username, r.username, i.created_at, i.expires_at
     FROM owner_invitations i JOIN users e ON e.id = i.invitee_id LEFT JOIN users r ON r.id = i.inviter_id";

fn invitation(r: &Row) -> Result<InvitationRow, DbError> {
    Ok(InvitationRow {
        id: r.get(0)?,
        package_key: r.get(1)?,
        invitee_id: r.get(2)?,
        invitee: r.get(3)?,
        inviter: r.get(4)?,
        created_at: r.get(5)?,
        expires_at: r.get(6)?,
    })
}

/// Creates the invitation, replacing an earlier one for the same invitee (its link stops working).
pub fn replace_invitation(
    db: &dyn Sql,
    package_key: i64,
    invitee_id: i64,
    by: Option<i64>,
    token_hash: &[u8],
    expires_at: &str,
) -> Result<(), DbError> {
    db.execute(
        "DELETE FROM owner_invitations WHERE package_key = ?1 AND invitee_id = ?2",
        values![package_key, invitee_id],
    )?;
    db.execute(
        "INSERT INTO owner_invitations (package_key, invitee_id, inviter_id, token_hash, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        values![package_key, invitee_id, by, token_hash, db.now_text()?, expires_at],
    )?;
    Ok(())
}

pub fn invitations(db: &dyn Sql, package_key: i64) -> Result<Vec<InvitationRow>, DbError> {
    let sql = format!("{INVITATION_SELECT} WHERE i.package_key = ?1 ORDER BY e.username_lower");
    db.query_map(&sql, values![package_key], invitation)
}

pub fn invitation_by_hash(db: &dyn Sql, token_hash: &[u8]) -> Result<Option<InvitationRow>, DbError> {
    let sql = format!("{INVITATION_SELECT} WHERE i.token_hash = ?1");
    db.query_optional(&sql, values![token_hash], invitation)
}

pub fn invitation_for(db: &dyn Sql, package_key: i64, invitee_id: i64) -> Result<Option<InvitationRow>, DbError> {
    let sql = format!("{INVITATION_SELECT} WHERE i.package_key = ?1 AND i.invitee_id = ?2");
    db.query_optional(&sql, values![package_key, invitee_id], invitation)
}

/// Deletes the invitation; false when another request answered or cancelled it first.
pub fn delete_invitation(db: &dyn Sql, id: i64) -> Result<bool, DbError> {
    Ok(db.execute("DELETE FROM owner_invitations WHERE id = ?1", values![id])? == 1)
}

/// Pending invitations addressed to `invitee_id`, with their package's id: the "Manage my
/// packages" list.
pub fn invitations_to(db: &dyn Sql, invitee_id: i64) -> Result<Vec<(String, InvitationRow)>, DbError> {
    let sql = format!(
        "SELECT p.package_id, x.* FROM ({INVITATION_SELECT}) x JOIN packages p ON p.id = x.package_key
         WHERE x.invitee_id = ?1 ORDER BY p.id_lower"
    );
    db.query_map(&sql, values![invitee_id], |r| {
        Ok((
            r.get(0)?,
            InvitationRow {
                id: r.get(1)?,
                package_key: r.get(2)?,
                invitee_id: r.get(3)?,
                invitee: r.get(4)?,
                inviter: r.get(5)?,
                created_at: r.get(6)?,
                expires_at: r.get(7)?,
            },
        ))
    })
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::on_both_engines;
    use crate::db::test_rows::{org, package, user};

    #[test]
    fn owners_and_invitations_on_both_engines() {
        on_both_engines(|db| {
            let alice = db.tx(|tx| user(tx, "alice")).unwrap();
            let bob = db.tx(|tx| user(tx, "Bob")).unwrap();
            let acme = db.tx(|tx| org(tx, "acme")).unwrap();
            let core = db.tx(|tx| package(tx, "Contoso.Core")).unwrap();
            let web = db.tx(|tx| package(tx, "Contoso.Web")).unwrap();

            assert!(db.tx(|tx| add_owner(tx, core, bob)).unwrap());
            assert!(db.tx(|tx| add_owner(tx, core, acme)).unwrap());
            assert!(!db.tx(|tx| add_owner(tx, core, bob)).unwrap(), "an owner already");
            assert!(db.tx(|tx| add_owner(tx, web, alice)).unwrap());
            let listed = db.tx(|tx| owners(tx, core)).unwrap();
            let who: Vec<(i64, &str, bool)> =
                listed.iter().map(|o| (o.user_id, o.username.as_str(), o.is_organization)).collect();
            assert_eq!(who, [(acme, "acme", true), (bob, "Bob", false)]);
            assert_eq!(db.tx(|tx| owner_names(tx, core)).unwrap(), ["acme", "Bob"]);
            let keys = format!("[{core},{web}]");
            let of = db.tx(|tx| owner_names_of(tx, &keys)).unwrap();
            let expected = [(core, "acme".to_owned()), (core, "Bob".to_owned()), (web, "alice".to_owned())];
            assert_eq!(of, expected);
            assert!(db.tx(|tx| owner_names_of(tx, "[]")).unwrap().is_empty());
            assert!(db.tx(|tx| remove_owner(tx, core, acme)).unwrap());
            assert!(!db.tx(|tx| remove_owner(tx, core, acme)).unwrap());
            assert_eq!(db.tx(|tx| owner_names(tx, core)).unwrap(), ["Bob"]);

            let expires = "2999-01-01T00:00:00.000Z";
            db.tx(|tx| replace_invitation(tx, core, alice, Some(bob), b"invite-1", expires)).unwrap();
            let first = db.tx(|tx| invitation_by_hash(tx, b"invite-1")).unwrap().unwrap();
            assert_eq!((first.package_key, first.invitee_id, first.invitee.as_str()), (core, alice, "alice"));
            assert_eq!((first.inviter.as_deref(), first.expires_at.as_str()), (Some("Bob"), expires));
            // A new invitation replaces the earlier one, whose link stops working.
            db.tx(|tx| replace_invitation(tx, core, alice, None, b"invite-2", expires)).unwrap();
            assert!(db.tx(|tx| invitation_by_hash(tx, b"invite-1")).unwrap().is_none());
            let second = db.tx(|tx| invitation_for(tx, core, alice)).unwrap().unwrap();
            assert_eq!(second.inviter, None);
            // The same token for another invitation is refused, and nothing is stored.
            let twice = db.tx(|tx| replace_invitation(tx, web, bob, None, b"invite-2", expires)).unwrap_err();
            assert!(twice.is_unique_violation(), "{twice}");
            assert!(db.tx(|tx| invitation_for(tx, web, bob)).unwrap().is_none());

            db.tx(|tx| replace_invitation(tx, web, alice, Some(alice), b"invite-3", expires)).unwrap();
            let to_alice = db.tx(|tx| invitations_to(tx, alice)).unwrap();
            let listed: Vec<(&str, i64)> = to_alice.iter().map(|(id, i)| (id.as_str(), i.package_key)).collect();
            assert_eq!(listed, [("Contoso.Core", core), ("Contoso.Web", web)]);
            assert_eq!(db.tx(|tx| invitations(tx, core)).unwrap(), std::slice::from_ref(&second));
            assert!(db.tx(|tx| delete_invitation(tx, second.id)).unwrap());
            assert!(!db.tx(|tx| delete_invitation(tx, second.id)).unwrap());
            assert!(db.tx(|tx| invitations(tx, core)).unwrap().is_empty());
        });
    }
}

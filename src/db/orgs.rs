//! Organization membership.
use super::sql::Sql;
use super::DbError;
use crate::values;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub user_id: i64,
    pub username: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRow {
    pub org_id: i64,
    pub org_name: String,
    pub role: String,
}

/// Adds the member or changes its role.
pub fn upsert_member(db: &dyn Sql, org_id: i64, user_id: i64, role: &str) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO org_members (org_id, user_id, role, added_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
        values![org_id, user_id, role, db.now_text()?],
    )?;
    Ok(())
}

pub fn remove_member(db: &dyn Sql, org_id: i64, user_id: i64) -> Result<bool, DbError> {
    let removed = db.execute("DELETE FROM org_members WHERE org_id = ?1 AND user_id = ?2", values![org_id, user_id])?;
    super::credential_epoch::bump(db)?;
    Ok(removed == 1)
}

pub fn role_of(db: &dyn Sql, org_id: i64, user_id: i64) -> Result<Option<String>, DbError> {
    db.query_optional(
        "SELECT role FROM org_members WHERE org_id = ?1 AND user_id = ?2",
        values![org_id, user_id],
        |r| r.get(0),
    )
}

pub fn members(db: &dyn Sql, org_id: i64) -> Result<Vec<MemberRow>, DbError> {
    db.query_map(
        "SELECT m.user_id, u.username, m.role FROM org_members m JOIN users u ON u.id = m.user_id
         WHERE m.org_id = ?1 ORDER BY u.username_lower",
        values![org_id],
        |r| Ok(MemberRow { user_id: r.get(0)?, username: r.get(1)?, role: r.get(2)? }),
    )
}

/// Organizations the user belongs to (enabled ones only: a disabled organization acts for nobody).
pub fn memberships(db: &dyn Sql, user_id: i64) -> Result<Vec<MembershipRow>, DbError> {
    db.query_map(
        "SELECT m.org_id, u.username, m.role FROM org_members m JOIN users u ON u.id = m.org_id
         WHERE m.user_id = ?1 AND u.is_disabled = 0 ORDER BY u.username_lower",
        values![user_id],
        |r| Ok(MembershipRow { org_id: r.get(0)?, org_name: r.get(1)?, role: r.get(2)? }),
    )
}

pub fn admin_count(db: &dyn Sql, org_id: i64) -> Result<i64, DbError> {
    db.query_row("SELECT count(*) FROM org_members WHERE org_id = ?1 AND role = 'admin'", values![org_id], |r| r.get(0))
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::on_both_engines;
    use crate::db::test_rows::{org, user};
    use crate::db::{credential_epoch, users};

    #[test]
    fn members_join_change_role_and_leave_on_both_engines() {
        on_both_engines(|db| {
            let acme = db.tx(|tx| org(tx, "acme")).unwrap();
            let beta = db.tx(|tx| org(tx, "Beta")).unwrap();
            let alice = db.tx(|tx| user(tx, "alice")).unwrap();
            let bob = db.tx(|tx| user(tx, "Bob")).unwrap();
            db.tx(|tx| upsert_member(tx, acme, alice, "admin")).unwrap();
            db.tx(|tx| upsert_member(tx, acme, bob, "collaborator")).unwrap();
            db.tx(|tx| upsert_member(tx, beta, alice, "collaborator")).unwrap();
            assert!(db.tx(|tx| upsert_member(tx, acme, bob, "owner")).is_err(), "a role the schema does not know");

            let listed = db.tx(|tx| members(tx, acme)).unwrap();
            let expected = [
                MemberRow { user_id: alice, username: "alice".to_owned(), role: "admin".to_owned() },
                MemberRow { user_id: bob, username: "Bob".to_owned(), role: "collaborator".to_owned() },
            ];
            assert_eq!(listed, expected);
            assert_eq!(db.tx(|tx| admin_count(tx, acme)).unwrap(), 1);
            db.tx(|tx| upsert_member(tx, acme, bob, "admin")).unwrap();
            assert_eq!(db.tx(|tx| role_of(tx, acme, bob)).unwrap().as_deref(), Some("admin"));
            assert_eq!(db.tx(|tx| admin_count(tx, acme)).unwrap(), 2);
            assert!(db.tx(|tx| role_of(tx, beta, bob)).unwrap().is_none());

            let names = |rows: Vec<MembershipRow>| rows.into_iter().map(|m| m.org_name).collect::<Vec<_>>();
            assert_eq!(names(db.tx(|tx| memberships(tx, alice)).unwrap()), ["acme", "Beta"]);
            // A disabled organization acts for nobody.
            db.tx(|tx| users::set_disabled(tx, beta, true)).unwrap();
            assert_eq!(names(db.tx(|tx| memberships(tx, alice)).unwrap()), ["acme"]);

            let epoch = db.tx(credential_epoch::stored).unwrap();
            assert!(db.tx(|tx| remove_member(tx, acme, bob)).unwrap());
            assert!(!db.tx(|tx| remove_member(tx, acme, bob)).unwrap());
            assert_eq!(db.tx(credential_epoch::stored).unwrap(), epoch + 2);
            assert_eq!(db.tx(|tx| members(tx, acme)).unwrap().len(), 1);
        });
    }
}

//! Accounts: users and organizations.
use super::sql::{Row, Sql};
use super::DbError;
use crate::values;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub is_admin: bool,
    pub is_disabled: bool,
    pub is_organization: bool,
    pub email_confirmed: bool,
    pub created_at: String,
    /// Registered through the portal or the API rather than created by an administrator.
    pub self_registered: bool,
}

const COLUMNS: &str =
    "id, username, email, password_hash, is_admin, is_disabled, is_organization, email_confirmed, created_at, \
     self_registered";

fn from_row(r: &Row) -> Result<UserRow, DbError> {
    Ok(UserRow {
        id: r.get(0)?,
        username: r.get(1)?,
        email: r.get(2)?,
        password_hash: r.get(3)?,
        is_admin: r.get(4)?,
        is_disabled: r.get(5)?,
        is_organization: r.get(6)?,
        email_confirmed: r.get(7)?,
        created_at: r.get(8)?,
        self_registered: r.get(9)?,
    })
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password_hash: Option<&'a str>,
    pub is_admin: bool,
    pub is_organization: bool,
    pub self_registered: bool,
}

pub fn insert(db: &dyn Sql, user: &NewUser<'_>) -> Result<i64, DbError> {
    db.query_row(
        "INSERT INTO users (username, username_lower, email, email_lower, password_hash, is_admin, is_organization,
                            created_at, self_registered)
         VALUES (?1, lower(?1), ?2, lower(?2), ?3, ?4, ?5, ?6, ?7) RETURNING id",
        values![
            user.username,
            user.email,
            user.password_hash,
            user.is_admin,
            user.is_organization,
            db.now_text()?,
            user.self_registered
        ],
        |r| r.get(0),
    )
}

pub fn by_name(db: &dyn Sql, username: &str) -> Result<Option<UserRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE username_lower = lower(?1)");
    db.query_optional(&sql, values![username], from_row)
}

pub fn by_id(db: &dyn Sql, id: i64) -> Result<Option<UserRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = ?1");
    db.query_optional(&sql, values![id], from_row)
}

pub fn list(db: &dyn Sql) -> Result<Vec<UserRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM users ORDER BY username_lower");
    db.query_map(&sql, values![], from_row)
}

pub fn set_admin(db: &dyn Sql, id: i64, admin: bool) -> Result<(), DbError> {
    db.execute("UPDATE users SET is_admin = ?2 WHERE id = ?1", values![id, admin])?;
    Ok(())
}

pub fn set_disabled(db: &dyn Sql, id: i64, disabled: bool) -> Result<(), DbError> {
    db.execute("UPDATE users SET is_disabled = ?2 WHERE id = ?1", values![id, disabled])?;
    super::credential_epoch::bump(db)
}

/// Finds an account by username or email address (sign-in accepts either).
pub fn by_name_or_email(db: &dyn Sql, name_or_email: &str) -> Result<Option<UserRow>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM users WHERE username_lower = lower(?1) OR email_lower = lower(?1) ORDER BY id LIMIT 1"
    );
    db.query_optional(&sql, values![name_or_email], from_row)
}

pub fn by_email(db: &dyn Sql, email: &str) -> Result<Option<UserRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email_lower = lower(?1)");
    db.query_optional(&sql, values![email], from_row)
}

pub fn set_password_hash(db: &dyn Sql, id: i64, hash: &str) -> Result<(), DbError> {
    db.execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", values![id, hash])?;
    super::credential_epoch::bump(db)
}

/// Sets the (confirmed) email address; a UNIQUE violation means another account has it.
pub fn set_confirmed_email(db: &dyn Sql, id: i64, email: &str) -> Result<(), DbError> {
    db.execute(
        "UPDATE users SET email = ?2, email_lower = lower(?2), email_confirmed = 1 WHERE id = ?1",
        values![id, email],
    )?;
    Ok(())
}

pub fn set_email_confirmed(db: &dyn Sql, id: i64) -> Result<(), DbError> {
    db.execute("UPDATE users SET email_confirmed = 1 WHERE id = ?1", values![id])?;
    Ok(())
}

/// Addresses of enabled administrators (who receive support requests).
pub fn admin_emails(db: &dyn Sql) -> Result<Vec<String>, DbError> {
    db.query_map(
        "SELECT email FROM users WHERE is_admin = 1 AND is_disabled = 0 AND is_organization = 0 ORDER BY id",
        values![],
        |r| r.get(0),
    )
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::credential_epoch;
    use crate::db::sql::testing::on_both_engines;
    use crate::db::test_rows::{org, user};

    #[test]
    fn accounts_are_found_changed_and_unique_on_both_engines() {
        on_both_engines(|db| {
            let alice = db.tx(|tx| user(tx, "Alice")).unwrap();
            let acme = db.tx(|tx| org(tx, "acme")).unwrap();

            let found = db.tx(|tx| by_name(tx, "ALICE")).unwrap().unwrap();
            assert_eq!(
                (found.id, found.username.as_str(), found.email.as_str()),
                (alice, "Alice", "Alice@example.com")
            );
            assert_eq!(found.password_hash.as_deref(), Some("hash"));
            assert!(!found.is_admin && !found.is_disabled && !found.is_organization && !found.email_confirmed);
            assert!(found.self_registered);
            assert!(db.tx(|tx| by_id(tx, acme)).unwrap().unwrap().is_organization);
            assert_eq!(db.tx(|tx| by_email(tx, "alice@EXAMPLE.com")).unwrap().unwrap().id, alice);
            assert_eq!(db.tx(|tx| by_name_or_email(tx, "acme@example.org")).unwrap().unwrap().id, acme);
            assert_eq!(db.tx(|tx| by_name_or_email(tx, "alice")).unwrap().unwrap().id, alice);
            assert!(db.tx(|tx| by_name(tx, "nobody")).unwrap().is_none());
            let names: Vec<String> = db.tx(list).unwrap().into_iter().map(|u| u.username).collect();
            assert_eq!(names, ["acme", "Alice"]);

            // A name or an address in another casing is taken, and nothing is stored.
            let twice = db.tx(|tx| user(tx, "aLiCe")).unwrap_err();
            assert!(twice.is_unique_violation(), "{twice}");
            let email = db.tx(|tx| set_confirmed_email(tx, acme, "ALICE@example.com")).unwrap_err();
            assert!(email.is_unique_violation(), "{email}");
            assert_eq!(db.tx(list).unwrap().len(), 2);
            assert_eq!(db.tx(|tx| by_id(tx, acme)).unwrap().unwrap().email, "acme@example.org");

            db.tx(|tx| set_confirmed_email(tx, alice, "alice@new.example")).unwrap();
            let changed = db.tx(|tx| by_email(tx, "ALICE@new.example")).unwrap().unwrap();
            assert!(changed.email_confirmed && changed.id == alice);
            db.tx(|tx| set_email_confirmed(tx, acme)).unwrap();
            assert!(db.tx(|tx| by_id(tx, acme)).unwrap().unwrap().email_confirmed);

            // Withdrawing a credential moves the stored epoch.
            let epoch = db.tx(credential_epoch::stored).unwrap();
            db.tx(|tx| set_password_hash(tx, alice, "new-hash")).unwrap();
            assert_eq!(db.tx(credential_epoch::stored).unwrap(), epoch + 1);
            assert_eq!(db.tx(|tx| by_id(tx, alice)).unwrap().unwrap().password_hash.as_deref(), Some("new-hash"));

            assert!(db.tx(admin_emails).unwrap().is_empty());
            db.tx(|tx| set_admin(tx, alice, true)).unwrap();
            db.tx(|tx| set_admin(tx, acme, true)).unwrap();
            assert_eq!(db.tx(admin_emails).unwrap(), ["alice@new.example"]);
            db.tx(|tx| set_disabled(tx, alice, true)).unwrap();
            assert_eq!(db.tx(credential_epoch::stored).unwrap(), epoch + 2);
            assert!(db.tx(|tx| by_id(tx, alice)).unwrap().unwrap().is_disabled);
            assert!(db.tx(admin_emails).unwrap().is_empty());
        });
    }
}

//! Support requests filed through the contact form (ownership recovery among them).
use super::sql::{Row, Sql};
use super::DbError;
use crate::values;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportRow {
    pub id: i64,
    pub kind: String,
    pub package_id: Option<String>,
    pub message: String,
    pub contact_email: String,
    pub username: Option<String>,
    pub requester_id: Option<i64>,
    pub status: String,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    pub resolution: Option<String>,
}

pub struct NewSupportRequest<'a> {
    pub kind: &'a str,
    pub package_id: Option<&'a str>,
    pub message: &'a str,
    pub contact_email: &'a str,
    pub username: Option<&'a str>,
    pub requester_id: Option<i64>,
    pub ip: Option<&'a str>,
}

const COLUMNS: &str =
    "id, kind, package_id, message, contact_email, username, requester_id, status, created_at, closed_at, closed_by, resolution";

fn from_row(r: &Row) -> Result<SupportRow, DbError> {
    Ok(SupportRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        package_id: r.get(2)?,
        message: r.get(3)?,
        contact_email: r.get(4)?,
        username: r.get(5)?,
        requester_id: r.get(6)?,
        status: r.get(7)?,
        created_at: r.get(8)?,
        closed_at: r.get(9)?,
        closed_by: r.get(10)?,
        resolution: r.get(11)?,
    })
}

pub fn insert(db: &dyn Sql, r: &NewSupportRequest<'_>) -> Result<i64, DbError> {
    db.query_row(
        "INSERT INTO support_requests (kind, package_id, message, contact_email, username, requester_id, ip, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
        values![r.kind, r.package_id, r.message, r.contact_email, r.username, r.requester_id, r.ip, db.now_text()?],
        |row| row.get(0),
    )
}

pub fn by_id(db: &dyn Sql, id: i64) -> Result<Option<SupportRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM support_requests WHERE id = ?1");
    db.query_optional(&sql, values![id], from_row)
}

/// Requests with the given status (or all), newest first.
pub fn list(db: &dyn Sql, status: Option<&str>) -> Result<Vec<SupportRow>, DbError> {
    // The CAST gives PostgreSQL the parameter's type, which `?1 IS NULL` alone does not tell it.
    let sql = format!(
        "SELECT {COLUMNS} FROM support_requests WHERE CAST(?1 AS TEXT) IS NULL OR status = ?1 ORDER BY id DESC LIMIT 500"
    );
    db.query_map(&sql, values![status], from_row)
}

/// Closes an open request; false when it was already closed.
pub fn close(db: &dyn Sql, id: i64, by: &str, resolution: &str) -> Result<bool, DbError> {
    let n = db.execute(
        "UPDATE support_requests SET status = 'closed', closed_at = ?2, closed_by = ?3, resolution = ?4 WHERE id = ?1 AND status = 'open'",
        values![id, db.now_text()?, by, resolution],
    )?;
    Ok(n == 1)
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::on_both_engines;
    use crate::db::test_rows::user;

    #[test]
    fn support_requests_are_filed_listed_and_closed_once_on_both_engines() {
        on_both_engines(|db| {
            let alice = db.tx(|tx| user(tx, "alice")).unwrap();
            let recovery = NewSupportRequest {
                kind: "ownership",
                package_id: Some("Contoso.Core"),
                message: "I own this",
                contact_email: "alice@example.com",
                username: Some("alice"),
                requester_id: Some(alice),
                ip: Some("127.0.0.1"),
            };
            let question = NewSupportRequest {
                kind: "other",
                package_id: None,
                message: "hello",
                contact_email: "someone@example.com",
                username: None,
                requester_id: None,
                ip: None,
            };
            let first = db.tx(|tx| insert(tx, &recovery)).unwrap();
            let second = db.tx(|tx| insert(tx, &question)).unwrap();
            assert!(second > first);

            let found = db.tx(|tx| by_id(tx, first)).unwrap().unwrap();
            assert_eq!((found.kind.as_str(), found.package_id.as_deref()), ("ownership", Some("Contoso.Core")));
            assert_eq!((found.requester_id, found.status.as_str()), (Some(alice), "open"));
            assert!(found.closed_at.is_none() && found.closed_by.is_none() && found.resolution.is_none());
            let ids = |rows: Vec<SupportRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
            assert_eq!(ids(db.tx(|tx| list(tx, None)).unwrap()), [second, first]);

            assert!(db.tx(|tx| close(tx, first, "admin", "granted")).unwrap());
            assert!(!db.tx(|tx| close(tx, first, "admin", "again")).unwrap(), "closed once");
            let closed = db.tx(|tx| by_id(tx, first)).unwrap().unwrap();
            assert_eq!((closed.closed_by.as_deref(), closed.resolution.as_deref()), (Some("admin"), Some("granted")));
            assert_eq!(ids(db.tx(|tx| list(tx, Some("open"))).unwrap()), [second]);
            assert_eq!(ids(db.tx(|tx| list(tx, Some("closed"))).unwrap()), [first]);
            assert!(db.tx(|tx| by_id(tx, 9999)).unwrap().is_none());
        });
    }
}

//! What became of each outgoing email (queued, sent, failed).
use super::sql::Sql;
use super::DbError;
use crate::values;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRow {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub status: String,
    pub error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

pub fn insert(db: &dyn Sql, kind: &str, recipient: &str, subject: &str) -> Result<i64, DbError> {
    db.query_row(
        "INSERT INTO mail_log (kind, recipient, subject, created_at) VALUES (?1, ?2, ?3, ?4) RETURNING id",
        values![kind, recipient, subject, db.now_text()?],
        |r| r.get(0),
    )
}

pub fn finish(db: &dyn Sql, id: i64, error: Option<&str>) -> Result<(), DbError> {
    let status = if error.is_some() { "failed" } else { "sent" };
    db.execute(
        "UPDATE mail_log SET status = ?2, error = ?3, finished_at = ?4 WHERE id = ?1",
        values![id, status, error, db.now_text()?],
    )?;
    Ok(())
}

/// Recent messages with the given status (or all), newest first.
pub fn list(db: &dyn Sql, status: Option<&str>) -> Result<Vec<MailRow>, DbError> {
    db.query_map(
        "SELECT id, kind, recipient, subject, status, error, created_at, finished_at FROM mail_log
         WHERE CAST(?1 AS TEXT) IS NULL OR status = ?1 ORDER BY id DESC LIMIT 500",
        values![status],
        |r| {
            Ok(MailRow {
                id: r.get(0)?,
                kind: r.get(1)?,
                recipient: r.get(2)?,
                subject: r.get(3)?,
                status: r.get(4)?,
                error: r.get(5)?,
                created_at: r.get(6)?,
                finished_at: r.get(7)?,
            })
        },
    )
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::on_both_engines;

    #[test]
    fn queues_finishes_and_lists_on_both_engines() {
        on_both_engines(|db| {
            let first = db.tx(|tx| insert(tx, "confirm-email", "a@example.com", "Confirm")).unwrap();
            let second = db.tx(|tx| insert(tx, "reset-password", "b@example.com", "Reset")).unwrap();
            assert!(second > first, "{first} {second}");
            db.tx(|tx| finish(tx, first, None)).unwrap();
            db.tx(|tx| finish(tx, second, Some("550 mailbox unavailable"))).unwrap();

            let all = db.tx(|tx| list(tx, None)).unwrap();
            assert_eq!(
                all.iter().map(|r| (r.id, r.status.as_str())).collect::<Vec<_>>(),
                [(second, "failed"), (first, "sent")]
            );
            assert_eq!(all[0].error.as_deref(), Some("550 mailbox unavailable"));
            assert!(all.iter().all(|r| r.finished_at.as_deref().is_some_and(|f| f >= r.created_at.as_str())));
            let failed = db.tx(|tx| list(tx, Some("failed"))).unwrap();
            assert_eq!(failed.iter().map(|r| r.recipient.as_str()).collect::<Vec<_>>(), ["b@example.com"]);
            assert!(db.tx(|tx| list(tx, Some("queued"))).unwrap().is_empty());
        });
    }
}

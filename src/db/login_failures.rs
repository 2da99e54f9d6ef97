//! Failed credential checks shared by the nodes of a cluster (`limits::login_limiter` on
//! PostgreSQL): one row per failure and budget ("bucket"), at Unix milliseconds.
use super::sql::Sql;
use super::DbError;
use crate::values;

/// Records one failure in each of `buckets` at `at_ms`, and removes every row at or before
/// `expired_ms` (no budget counts them any more), so the table stays as small as the window.
pub fn record(db: &dyn Sql, buckets: &[&str], at_ms: i64, expired_ms: i64) -> Result<(), DbError> {
    db.execute("DELETE FROM login_failures WHERE failed_at_ms <= ?1", values![expired_ms])?;
    for bucket in buckets {
        db.execute("INSERT INTO login_failures (bucket, failed_at_ms) VALUES (?1, ?2)", values![*bucket, at_ms])?;
    }
    Ok(())
}

/// How many failures `bucket` has after `since_ms`, and the oldest of them.
pub fn in_window(db: &dyn Sql, bucket: &str, since_ms: i64) -> Result<(i64, Option<i64>), DbError> {
    db.query_row(
        "SELECT count(*), min(failed_at_ms) FROM login_failures WHERE bucket = ?1 AND failed_at_ms > ?2",
        values![bucket, since_ms],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Removes the failures of `bucket` and of every bucket starting with `prefix`.
pub fn forget(db: &dyn Sql, bucket: &str, prefix: &str) -> Result<(), DbError> {
    // A prefix compared by length, not LIKE: names may hold `%` and `_`.
    let length = i64::try_from(prefix.chars().count()).unwrap_or(i64::MAX);
    db.execute(
        "DELETE FROM login_failures WHERE bucket = ?1 OR substr(bucket, 1, ?3) = ?2",
        values![bucket, prefix, length],
    )?;
    Ok(())
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::on_both_engines;

    #[test]
    fn failures_count_in_their_window_are_forgotten_and_expire_on_both_engines() {
        on_both_engines(|db| {
            db.tx(|tx| record(tx, &["account:a_b", "account-ip:a_b|1.1.1.1", "ip:1.1.1.1"], 1_000, 0)).unwrap();
            db.tx(|tx| record(tx, &["account:a_b", "account:axb"], 2_000, 0)).unwrap();
            assert_eq!(db.tx(|tx| in_window(tx, "account:a_b", 0)).unwrap(), (2, Some(1_000)));
            assert_eq!(db.tx(|tx| in_window(tx, "account:a_b", 1_000)).unwrap(), (1, Some(2_000)));
            assert_eq!(db.tx(|tx| in_window(tx, "ip:9.9.9.9", 0)).unwrap(), (0, None));

            // `_` is not a wildcard: axb keeps its failure.
            db.tx(|tx| forget(tx, "account:a_b", "account-ip:a_b|")).unwrap();
            assert_eq!(db.tx(|tx| in_window(tx, "account:a_b", 0)).unwrap(), (0, None));
            assert_eq!(db.tx(|tx| in_window(tx, "account-ip:a_b|1.1.1.1", 0)).unwrap(), (0, None));
            assert_eq!(db.tx(|tx| in_window(tx, "account:axb", 0)).unwrap(), (1, Some(2_000)));
            assert_eq!(db.tx(|tx| in_window(tx, "ip:1.1.1.1", 0)).unwrap(), (1, Some(1_000)));

            // A later failure removes what is past the window.
            db.tx(|tx| record(tx, &["ip:2.2.2.2"], 10_000, 1_000)).unwrap();
            let rows: i64 =
                db.tx(|tx| tx.query_row("SELECT count(*) FROM login_failures", values![], |r| r.get(0))).unwrap();
            assert_eq!(rows, 2);
        });
    }
}

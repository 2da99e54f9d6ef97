//! The ticks of scheduled jobs claimed across a cluster (`jobs::tick` on PostgreSQL): one row per
//! job and tick (Unix seconds) that some node runs.
use super::sql::Sql;
use super::DbError;
use crate::values;

/// Whether this caller is the first to claim `tick` of `job` (the others' inserts wait for its
/// commit and then find the row). Removes the job's ticks before `forget_before` first.
pub fn claim(db: &dyn Sql, job: &str, tick: i64, forget_before: i64) -> Result<bool, DbError> {
    db.execute("DELETE FROM job_ticks WHERE job = ?1 AND tick < ?2", values![job, forget_before])?;
    let claimed: Option<i64> = db.query_optional(
        "INSERT INTO job_ticks (job, tick) VALUES (?1, ?2) ON CONFLICT (job, tick) DO NOTHING RETURNING tick",
        values![job, tick],
        |r| r.get(0),
    )?;
    Ok(claimed.is_some())
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::on_both_engines;

    #[test]
    fn a_tick_is_claimed_once_and_old_ticks_are_forgotten_on_both_engines() {
        on_both_engines(|db| {
            assert!(db.tx(|tx| claim(tx, "purge-expired", 1_000, 0)).unwrap());
            assert!(!db.tx(|tx| claim(tx, "purge-expired", 1_000, 0)).unwrap(), "the same tick again");
            assert!(db.tx(|tx| claim(tx, "rescan", 1_000, 0)).unwrap(), "another job's tick is its own");
            assert!(db.tx(|tx| claim(tx, "purge-expired", 1_001, 0)).unwrap(), "the next tick");
            // A claim removes the job's ticks before `forget_before`, and only the job's.
            assert!(db.tx(|tx| claim(tx, "purge-expired", 5_000, 1_001)).unwrap());
            let rows: Vec<(String, i64)> = db
                .tx(|tx| {
                    tx.query_map("SELECT job, tick FROM job_ticks ORDER BY job, tick", values![], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                })
                .unwrap();
            let rows: Vec<(&str, i64)> = rows.iter().map(|(j, t)| (j.as_str(), *t)).collect();
            assert_eq!(rows, [("purge-expired", 1_001), ("purge-expired", 5_000), ("rescan", 1_000)]);
        });
    }
}

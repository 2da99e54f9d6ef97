//! One run per scheduled tick across a cluster. The job lock (`lock`) only keeps two runs from
//! overlapping: a node whose timer fires just after the other's run ended would run the same
//! tick again. So on PostgreSQL a scheduled run first claims its tick in the database
//! (`db::job_ticks`) and only the node that claimed it runs. The tick is the fire time rounded to
//! the nearest second: the nodes' timers fire at the same scheduled second by clocks NTP keeps
//! within far less than half a second. One node (SQLite) has nothing to agree with.
use crate::db::database::Database;
use crate::db::sql::Engine;
use crate::db::{job_ticks, DbError};
use chrono::{DateTime, Utc};

/// How long a claimed tick is kept: far longer than any two nodes' timers for one tick differ.
const KEEP_S: i64 = 3600;

/// The tick a timer firing at `now` stands for: Unix seconds, rounded to the nearest.
pub fn of(now: DateTime<Utc>) -> i64 {
    (now.timestamp_millis() + 500).div_euclid(1000)
}

/// Whether this node runs `tick` of `job`: always on SQLite; on PostgreSQL if it claimed it first.
pub fn claim(db: &Database, job: &str, tick: i64) -> Result<bool, DbError> {
    if db.engine() != Engine::Postgres {
        return Ok(true);
    }
    db.connection()?.write(|tx| job_ticks::claim(tx, job, tick, tick - KEEP_S))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tick_is_the_nearest_second() {
        let at = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap();
        assert_eq!(of(at(5_000)), 5);
        assert_eq!(of(at(5_499)), 5);
        assert_eq!(of(at(5_500)), 6);
        assert_eq!(of(at(4_730)), 5);
    }
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::cluster::testing::scratch;
    use crate::db::sql::open_pool;
    use crate::domain::clock::Clock;

    #[test]
    fn two_nodes_run_one_tick_once() {
        let Some(database) = scratch() else { return };
        let node = || Database::postgres(open_pool(&database.url(), 2).unwrap(), Clock::system());
        let (a, b) = (node(), node());
        assert!(a.engine() == Engine::Postgres);
        assert!(claim(&a, "purge-expired", 100).unwrap());
        assert!(!claim(&b, "purge-expired", 100).unwrap(), "node B skips the tick node A runs");
        assert!(claim(&b, "purge-expired", 101).unwrap(), "and runs the next one if first");
        assert!(!claim(&a, "purge-expired", 101).unwrap());
    }
}

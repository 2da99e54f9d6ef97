//! One run per scheduled tick across a cluster. The job lock (`lock`) only keeps two runs from
//! overlapping: a node whose timer fires just after the other's run ended would run the same
//! tick again. So on PostgreSQL a scheduled run first claims its tick in the database
//! (`db::job_ticks`) and only the node that claimed it runs. The tick is the scheduled time the
//! timer fired for: the latest time of the job's cron expression at or before the node's clock.
//! Every node computes the same one however late its timer fires (a loaded node's timer can be
//! half a second late, which rounding the fire time would have split into two ticks), as long as
//! it fires before the next scheduled time and the clocks agree (NTP). One node (SQLite) has
//! nothing to agree with.
use crate::db::database::Database;
use crate::db::sql::Engine;
use crate::db::{job_ticks, DbError};
use chrono::{DateTime, Utc};
use croner::parser::{CronParser, Seconds};
use croner::Cron;

/// How long a claimed tick is kept: far longer than any two nodes' timers for one tick differ.
const KEEP_S: i64 = 3600;

/// A job's cron expression, parsed as the scheduler parses it (seconds first).
pub fn schedule(cron: &str) -> Option<Cron> {
    CronParser::builder().seconds(Seconds::Required).dom_and_dow(true).build().parse(cron).ok()
}

/// The tick a timer firing at `now` stands for: the latest scheduled time at or before `now`, in
/// Unix seconds; without a schedule, `now`'s second.
pub fn of(schedule: Option<&Cron>, now: DateTime<Utc>) -> i64 {
    schedule.and_then(|cron| cron.find_previous_occurrence(&now, true).ok()).unwrap_or(now).timestamp()
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

    /// A timer firing late still names the scheduled time it fired for, so two nodes whose
    /// timers fire at different moments for one tick claim the same tick.
    #[test]
    fn a_tick_is_the_scheduled_time_however_late_the_timer_fires() {
        let at = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap();
        let every_second = schedule("* * * * * *").unwrap();
        assert_eq!(of(Some(&every_second), at(5_000)), 5);
        assert_eq!(of(Some(&every_second), at(5_499)), 5);
        assert_eq!(of(Some(&every_second), at(5_501)), 5, "half a second late is the same tick");
        let every_ten = schedule("*/10 * * * * *").unwrap();
        assert_eq!(of(Some(&every_ten), at(20_000)), 20);
        assert_eq!(of(Some(&every_ten), at(27_900)), 20);
        assert_eq!(of(None, at(4_730)), 4);
        assert!(schedule("not a schedule").is_none());
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

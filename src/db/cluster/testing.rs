//! What the cluster tests share: a scratch database on the test PostgreSQL (none when its half is
//! skipped, see `sql::testing`), a way to end other sessions as an administrator would, and a
//! bounded wait for something another thread or session does.
use crate::db::sql::testing::{postgres_url, ScratchDatabase};
use std::time::{Duration, Instant};

pub fn scratch() -> Option<ScratchDatabase> {
    postgres_url().map(|url| ScratchDatabase::create(&url))
}

/// Ends every session of `database` whose application is `name`, as `pg_terminate_backend` from
/// an administrator does; how many it ended.
pub fn terminate(database: &ScratchDatabase, name: &str) -> i64 {
    let mut admin = database.connect();
    admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = current_database() AND application_name = $1",
            &[&name],
        )
        .unwrap()
        .get(0)
}

/// Polls `done` until it holds or `limit` passes; whether it held.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

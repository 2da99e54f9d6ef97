//! Failed credential checks counted in the PostgreSQL database the nodes of a cluster share
//! (`db::login_failures`), so that a guesser spreading over the nodes meets one budget.
//!
//! Times are Unix milliseconds, so that every node reads them alike: the `Instant` a caller
//! passes is placed on the wall clock through the pair read when this log was made (nodes' clocks
//! are assumed to agree to well within a window, as NTP keeps them). The database failing does not
//! lock anyone out: a check it cannot answer is allowed and logged (the credential it guards is
//! looked up in the same database, so the sign-in fails anyway), a failure it cannot record is
//! logged.
use super::failure_log::FailureLog;
use crate::db::login_failures;
use crate::db::sql::{Postgres, PostgresPool, Sql};
use crate::db::DbError;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub struct SharedFailures {
    pool: PostgresPool,
    /// The same moment as an `Instant` and as Unix milliseconds.
    anchor: (Instant, i64),
}

impl SharedFailures {
    pub fn new(pool: PostgresPool) -> Self {
        let unix_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, millis);
        Self { pool, anchor: (Instant::now(), unix_ms) }
    }

    fn unix_ms(&self, at: Instant) -> i64 {
        let (instant, unix_ms) = self.anchor;
        match at.checked_duration_since(instant) {
            Some(after) => unix_ms.saturating_add(millis(after)),
            None => unix_ms.saturating_sub(millis(instant.duration_since(at))),
        }
    }

    fn run<T: Send>(&self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError> + Send) -> Result<T, DbError> {
        let work = || {
            let mut conn = self.pool.get()?;
            let tx = Postgres::new(conn.transaction()?);
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        };
        // Credential checks also run in async middleware (private feeds, sign-in callbacks), on
        // the executor's thread, where PostgreSQL's synchronous client cannot run (it drives a
        // runtime of its own): there the round trip takes a thread of its own.
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|scope| scope.spawn(work).join())
                .unwrap_or_else(|_| Err(DbError::Open("the sign-in limits' query panicked".into())))
        } else {
            work()
        }
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A bucket as stored: PostgreSQL text cannot hold NUL, which separates an account from its
/// address (and a name typed by a guesser may hold anything). The escape keeps prefixes prefixes.
fn stored(bucket: &str) -> String {
    bucket.replace('\\', "\\\\").replace('\0', "\\0")
}

impl FailureLog for SharedFailures {
    fn in_window(&self, bucket: &str, now: Instant, window: Duration) -> (usize, Duration) {
        let now_ms = self.unix_ms(now);
        let since = now_ms.saturating_sub(millis(window));
        match self.run(|db| login_failures::in_window(db, &stored(bucket), since)) {
            Ok((count, oldest)) => {
                let age = oldest.map_or(0, |oldest| now_ms.saturating_sub(oldest).max(0));
                (usize::try_from(count).unwrap_or(usize::MAX), Duration::from_millis(age.unsigned_abs()))
            }
            Err(e) => {
                tracing::warn!(error = %e, "sign-in limits: cannot read the failure count; the check is allowed");
                (0, Duration::ZERO)
            }
        }
    }

    fn add(&self, buckets: &[&str], now: Instant, window: Duration) {
        let now_ms = self.unix_ms(now);
        let buckets: Vec<String> = buckets.iter().map(|b| stored(b)).collect();
        let buckets: Vec<&str> = buckets.iter().map(String::as_str).collect();
        let expired = now_ms.saturating_sub(millis(window));
        if let Err(e) = self.run(|db| login_failures::record(db, &buckets, now_ms, expired)) {
            tracing::warn!(error = %e, "sign-in limits: cannot record a failure");
        }
    }

    fn forget(&self, bucket: &str, prefix: &str) {
        if let Err(e) = self.run(|db| login_failures::forget(db, &stored(bucket), &stored(prefix))) {
            tracing::warn!(error = %e, "sign-in limits: cannot forget an account's failures");
        }
    }
}

#[cfg(test)]
mod engines {
    use crate::db::cluster::testing::scratch;
    use crate::db::sql::open_pool;
    use crate::limits::login_limiter::LoginLimiter;
    use std::time::{Duration, Instant};

    #[test]
    fn two_nodes_share_one_budget() {
        let Some(database) = scratch() else { return };
        let window = Duration::from_mins(15);
        let node = || LoginLimiter::shared(3, window, open_pool(&database.url(), 2).unwrap());
        let (a, b) = (node(), node());
        let t0 = Instant::now();
        let ip = Some("10.0.0.1");
        // Three failures spread over two nodes use up the one budget on both.
        a.record_failure(&a.attempt(Some("Alice"), ip), t0);
        b.record_failure(&b.attempt(Some("alice"), ip), t0);
        assert!(a.check(&a.attempt(Some("alice"), ip), t0).is_ok());
        a.record_failure(&a.attempt(Some("alice"), ip), t0);
        for limiter in [&a, &b] {
            let wait = limiter.check(&limiter.attempt(Some("alice"), ip), t0 + Duration::from_mins(1)).unwrap_err();
            assert!((Duration::from_secs(839)..=Duration::from_secs(841)).contains(&wait), "{wait:?}");
        }
        // Others are not locked; the window passes; a sign-in on one node forgets on both.
        assert!(b.check(&b.attempt(Some("bob"), ip), t0).is_ok());
        assert!(b.check(&b.attempt(Some("alice"), ip), t0 + window + Duration::from_secs(1)).is_ok());
        b.forget_account("ALICE");
        assert!(a.check(&a.attempt(Some("alice"), ip), t0).is_ok());
    }

    #[test]
    fn a_name_holding_nul_counts_and_old_failures_are_pruned() {
        let Some(database) = scratch() else { return };
        let window = Duration::from_mins(15);
        let limiter = LoginLimiter::shared(1, window, open_pool(&database.url(), 2).unwrap());
        let t0 = Instant::now();
        let sprayed = limiter.attempt(Some("x\0y\\"), Some("6.6.6.6"));
        limiter.record_failure(&sprayed, t0);
        assert!(limiter.check(&sprayed, t0).is_err());
        limiter.forget_account("x\0y\\");
        assert!(limiter.check(&limiter.attempt(Some("x\0y\\"), Some("7.7.7.7")), t0).is_ok());
        // The address keeps its failure until a failure past the window prunes it.
        limiter.record_failure(&limiter.attempt(None, Some("8.8.8.8")), t0 + window + Duration::from_secs(1));
        let rows: i64 = database.connect().query_one("SELECT count(*) FROM login_failures", &[]).unwrap().get(0);
        assert_eq!(rows, 1);
    }
}

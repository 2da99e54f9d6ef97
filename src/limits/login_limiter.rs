//! Counts failed credential checks (sign-in, password checks, Basic credentials on a private feed,
//! API keys) and refuses checks past a budget. One node counts in memory (a restart forgets them,
//! which is acceptable for a brute-force brake); the nodes of a cluster count in their shared
//! database (`shared_failures`), or a guesser spreading over N nodes would get N budgets.
//! Times are passed in, so tests need no clock.
//!
//! Three budgets, so that guessing is slow but nobody is locked out by someone else: one account
//! from one address gets `max` failures per window; one account from all addresses together gets
//! 5 × `max` (a distributed guess at one password); one address for all accounts gets 20 × `max`
//! (a spray of many names). Ten wrong passwords for one account therefore lock only that account
//! from that address, not every account behind the same proxy or NAT.
use super::failure_log::FailureLog;
use super::local_failures::LocalFailures;
use super::shared_failures::SharedFailures;
use crate::db::sql::PostgresPool;
use crate::error::AppError;
use std::time::{Duration, Instant};

const ACCOUNT_FACTOR: usize = 5;
const ADDRESS_FACTOR: usize = 20;

pub struct LoginLimiter {
    max_failures: usize,
    window: Duration,
    failures: Box<dyn FailureLog>,
}

/// The budgets one credential check counts against.
pub struct Attempt {
    buckets: Vec<(String, usize)>,
}

impl LoginLimiter {
    /// Counts in this process's memory: one node (SQLite).
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self::counting_in(max_failures, window, Box::new(LocalFailures::default()))
    }

    /// Counts in the PostgreSQL database every node of a cluster shares.
    pub fn shared(max_failures: u32, window: Duration, pool: PostgresPool) -> Self {
        Self::counting_in(max_failures, window, Box::new(SharedFailures::new(pool)))
    }

    fn counting_in(max_failures: u32, window: Duration, failures: Box<dyn FailureLog>) -> Self {
        Self { max_failures: max_failures.max(1) as usize, window, failures }
    }

    /// The budgets of a check of `account` (a name or email, compared lowercase; `None` when the
    /// credential names no account, as an API key does) from `ip`.
    pub fn attempt(&self, account: Option<&str>, ip: Option<&str>) -> Attempt {
        let max = self.max_failures;
        let mut buckets = Vec::with_capacity(3);
        if let Some(account) = account.map(|a| a.trim().to_lowercase()) {
            buckets.push((format!("account-ip:{account}\u{0}{}", ip.unwrap_or("-")), max));
            buckets.push((format!("account:{account}"), max * ACCOUNT_FACTOR));
        }
        if let Some(ip) = ip {
            buckets.push((format!("ip:{ip}"), max * ADDRESS_FACTOR));
        }
        Attempt { buckets }
    }

    /// `Err(wait)` when any budget is used up; `wait` is until the oldest failure in it expires.
    pub fn check(&self, attempt: &Attempt, now: Instant) -> Result<(), Duration> {
        let mut wait = None;
        for (bucket, limit) in &attempt.buckets {
            let (failures, oldest_age) = self.failures.in_window(bucket, now, self.window);
            if failures >= *limit {
                let until = self.window.saturating_sub(oldest_age);
                wait = Some(wait.map_or(until, |w: Duration| w.max(until)));
            }
        }
        wait.map_or(Ok(()), Err)
    }

    /// `check` as the error every credential path answers with: 429 and `Retry-After`.
    pub fn refuse_if_exhausted(&self, attempt: &Attempt) -> Result<(), AppError> {
        self.check(attempt, Instant::now()).map_err(too_many)
    }

    pub fn record_failure(&self, attempt: &Attempt, now: Instant) {
        let buckets: Vec<&str> = attempt.buckets.iter().map(|(bucket, _)| bucket.as_str()).collect();
        self.failures.add(&buckets, now, self.window);
    }

    /// Forgets an account's failures (from every address) after it signed in or reset its password.
    pub fn forget_account(&self, account: &str) {
        let account = account.trim().to_lowercase();
        self.failures.forget(&format!("account:{account}"), &format!("account-ip:{account}\u{0}"));
    }
}

/// 429 with the wait in words and in `Retry-After`.
pub fn too_many(wait: Duration) -> AppError {
    let seconds = wait.as_secs().max(1);
    let minutes = seconds.div_ceil(60);
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    AppError::TooManyRequests {
        message: format!("Too many failed sign-in attempts; try again in {minutes} {unit}."),
        retry_after_seconds: seconds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_until_the_window_passes() {
        let limiter = LoginLimiter::new(3, Duration::from_mins(15));
        let attempt = limiter.attempt(Some("Alice"), Some("10.0.0.1"));
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(limiter.check(&attempt, t0).is_ok(), "attempt {i}");
            limiter.record_failure(&attempt, t0);
        }
        let wait = limiter.check(&attempt, t0 + Duration::from_mins(1)).unwrap_err();
        assert_eq!(wait, Duration::from_mins(14));
        assert!(limiter.check(&attempt, t0 + Duration::from_mins(15)).is_ok());
    }

    #[test]
    fn one_account_failing_does_not_lock_the_address_for_others() {
        let limiter = LoginLimiter::new(2, Duration::from_mins(15));
        let t0 = Instant::now();
        let ip = Some("1.1.1.1");
        limiter.record_failure(&limiter.attempt(Some("a"), ip), t0);
        limiter.record_failure(&limiter.attempt(Some("A"), ip), t0);
        // a is locked from this address, b (same address) and a (elsewhere) are not.
        assert!(limiter.check(&limiter.attempt(Some("a"), ip), t0).is_err());
        assert!(limiter.check(&limiter.attempt(Some("b"), ip), t0).is_ok());
        assert!(limiter.check(&limiter.attempt(Some("a"), Some("2.2.2.2")), t0).is_ok());
        limiter.forget_account("A");
        assert!(limiter.check(&limiter.attempt(Some("a"), ip), t0).is_ok());
    }

    #[test]
    fn an_account_has_a_budget_across_addresses_and_an_address_across_accounts() {
        let limiter = LoginLimiter::new(2, Duration::from_mins(15));
        let t0 = Instant::now();
        // 5 × 2 failures for one account from ten addresses lock it everywhere.
        for i in 0..10 {
            limiter.record_failure(&limiter.attempt(Some("victim"), Some(&format!("10.0.0.{i}"))), t0);
        }
        assert!(limiter.check(&limiter.attempt(Some("victim"), Some("10.9.9.9")), t0).is_err());
        // 20 × 2 failures from one address, each for another name, lock that address.
        for i in 0..40 {
            limiter.record_failure(&limiter.attempt(Some(&format!("user{i}")), Some("6.6.6.6")), t0);
        }
        assert!(limiter.check(&limiter.attempt(Some("someone-else"), Some("6.6.6.6")), t0).is_err());
        assert!(limiter.check(&limiter.attempt(None, Some("6.6.6.6")), t0).is_err());
        assert!(limiter.check(&limiter.attempt(Some("someone-else"), Some("7.7.7.7")), t0).is_ok());
    }

    #[test]
    fn the_refusal_says_when_to_retry() {
        let e = too_many(Duration::from_secs(61));
        assert_eq!(e.to_string(), "Too many failed sign-in attempts; try again in 2 minutes.");
        assert!(matches!(e, AppError::TooManyRequests { retry_after_seconds: 61, .. }));
        assert_eq!(too_many(Duration::ZERO).to_string(), "Too many failed sign-in attempts; try again in 1 minute.");
    }
}

//! Counts failed sign-ins per account and per client address, in memory (a restart forgets
//! them, which is acceptable for a brute-force brake). Times are passed in, so tests need no clock.
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Above this many tracked keys, stale ones are dropped so a flood of distinct names cannot grow
/// memory without bound.
const PRUNE_ABOVE: usize = 10_000;

pub struct LoginLimiter {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self { max_failures: max_failures.max(1) as usize, window, failures: Mutex::default() }
    }

    /// The keys a sign-in attempt counts against: the account name (lowercase) and the address.
    pub fn keys(account: &str, ip: Option<&str>) -> Vec<String> {
        let mut keys = vec![format!("account:{}", account.trim().to_lowercase())];
        if let Some(ip) = ip {
            keys.push(format!("ip:{ip}"));
        }
        keys
    }

    /// `Err(wait)` when any key has used up its failures; `wait` is until the oldest one expires.
    pub fn check(&self, keys: &[String], now: Instant) -> Result<(), Duration> {
        let mut map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut wait = None;
        for key in keys {
            if let Some(times) = map.get_mut(key) {
                Self::expire(times, now, self.window);
                if times.len() >= self.max_failures {
                    let oldest = times.front().copied().unwrap_or(now);
                    let until = self.window.saturating_sub(now.saturating_duration_since(oldest));
                    wait = Some(wait.map_or(until, |w: Duration| w.max(until)));
                }
            }
        }
        wait.map_or(Ok(()), Err)
    }

    pub fn record_failure(&self, keys: &[String], now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > PRUNE_ABOVE {
            let window = self.window;
            map.retain(|_, times| times.back().is_some_and(|t| now.saturating_duration_since(*t) < window));
        }
        for key in keys {
            let times = map.entry(key.clone()).or_default();
            Self::expire(times, now, self.window);
            times.push_back(now);
        }
    }

    /// Forgets an account's failures after it signed in or reset its password.
    pub fn reset(&self, key: &str) {
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(key);
    }

    fn expire(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
        while times.front().is_some_and(|t| now.saturating_duration_since(*t) >= window) {
            times.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_until_the_window_passes() {
        let limiter = LoginLimiter::new(3, Duration::from_mins(15));
        let keys = LoginLimiter::keys("Alice", Some("10.0.0.1"));
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(limiter.check(&keys, t0).is_ok(), "attempt {i}");
            limiter.record_failure(&keys, t0);
        }
        let wait = limiter.check(&keys, t0 + Duration::from_mins(1)).unwrap_err();
        assert_eq!(wait, Duration::from_mins(14));
        assert!(limiter.check(&keys, t0 + Duration::from_mins(15)).is_ok());
    }

    #[test]
    fn counts_per_account_and_per_address() {
        let limiter = LoginLimiter::new(2, Duration::from_mins(15));
        let t0 = Instant::now();
        limiter.record_failure(&LoginLimiter::keys("a", Some("1.1.1.1")), t0);
        limiter.record_failure(&LoginLimiter::keys("b", Some("1.1.1.1")), t0);
        // The address is used up, even for a third name; the names alone are not.
        assert!(limiter.check(&LoginLimiter::keys("c", Some("1.1.1.1")), t0).is_err());
        assert!(limiter.check(&LoginLimiter::keys("a", Some("2.2.2.2")), t0).is_ok());
        limiter.record_failure(&LoginLimiter::keys("A", Some("3.3.3.3")), t0);
        assert!(limiter.check(&LoginLimiter::keys("a", Some("4.4.4.4")), t0).is_err());
        limiter.reset("account:a");
        assert!(limiter.check(&LoginLimiter::keys("a", Some("4.4.4.4")), t0).is_ok());
    }
}

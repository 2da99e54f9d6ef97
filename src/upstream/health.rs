//! An upstream's health: consecutive failures and the back-off they earn, and the hit, miss and
//! error counts administrators see.
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// First pause after a failure; doubled per further failure up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_secs(2);
const MAX_BACKOFF: Duration = Duration::from_mins(5);

#[derive(Default)]
pub struct Health {
    failures: AtomicU32,
    retry_at: Mutex<Option<Instant>>,
    last_error: Mutex<Option<String>>,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub errors: AtomicU64,
    /// Answers served from a stale cache because this upstream failed.
    pub stale: AtomicU64,
}

/// What `/health` and the admin page show of one upstream.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HealthReport {
    pub status: &'static str,
    pub hits: u64,
    pub misses: u64,
    pub errors: u64,
    pub stale_answers: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

impl Health {
    /// False while the upstream is backed off after failures: callers answer from their cache
    /// (or not at all) at once instead of waiting for another timeout.
    pub fn may_try(&self) -> bool {
        self.retry_at.lock().map_or(true, |at| at.is_none_or(|at| Instant::now() >= at))
    }

    pub fn succeeded(&self) {
        if self.failures.swap(0, Ordering::Relaxed) > 0 {
            if let Ok(mut at) = self.retry_at.lock() {
                *at = None;
            }
        }
    }

    pub fn failed(&self, error: &str) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let n = self.failures.fetch_add(1, Ordering::Relaxed).min(16);
        let pause = FIRST_BACKOFF.saturating_mul(1 << n.min(8)).min(MAX_BACKOFF);
        if let Ok(mut at) = self.retry_at.lock() {
            *at = Some(Instant::now() + pause);
        }
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(error.to_owned());
        }
    }

    pub fn report(&self) -> HealthReport {
        let failing = self.failures.load(Ordering::Relaxed) > 0;
        HealthReport {
            status: if failing { "failing" } else { "ok" },
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            stale_answers: self.stale.load(Ordering::Relaxed),
            last_error: if failing { self.last_error.lock().ok().and_then(|e| e.clone()) } else { None },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_backs_off_and_a_success_clears_it() {
        let health = Health::default();
        assert!(health.may_try());
        health.failed("connection refused");
        assert!(!health.may_try(), "a failed upstream is not asked again at once");
        let report = health.report();
        assert_eq!((report.status, report.errors), ("failing", 1));
        assert_eq!(report.last_error.as_deref(), Some("connection refused"));
        health.succeeded();
        assert!(health.may_try());
        assert_eq!(health.report().status, "ok");
    }
}

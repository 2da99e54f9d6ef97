//! Where failed credential checks are counted (`login_limiter` decides the budgets once for
//! every store): this process's memory (`local_failures`) or the database a cluster shares
//! (`shared_failures`).
use std::time::{Duration, Instant};

/// A store of failure times by bucket ("account:alice", "ip:10.0.0.1", …).
pub trait FailureLog: Send + Sync {
    /// How many failures `bucket` had in the `window` before `now`, and the age of the oldest.
    fn in_window(&self, bucket: &str, now: Instant, window: Duration) -> (usize, Duration);
    /// One failure at `now` in each bucket; failures older than `window` may be dropped.
    fn add(&self, buckets: &[&str], now: Instant, window: Duration);
    /// Drops the failures of `bucket` and of every bucket starting with `prefix`.
    fn forget(&self, bucket: &str, prefix: &str);
}

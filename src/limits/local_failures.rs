//! Failed credential checks counted in this process's memory (one node).
use super::failure_log::FailureLog;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Above this many tracked buckets, stale ones are dropped so a flood of distinct names cannot
/// grow memory without bound.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Default)]
pub struct LocalFailures {
    times: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LocalFailures {
    fn times(&self) -> MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        self.times.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn expire(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times.front().is_some_and(|t| now.saturating_duration_since(*t) >= window) {
        times.pop_front();
    }
}

impl FailureLog for LocalFailures {
    fn in_window(&self, bucket: &str, now: Instant, window: Duration) -> (usize, Duration) {
        let mut map = self.times();
        let Some(times) = map.get_mut(bucket) else { return (0, Duration::ZERO) };
        expire(times, now, window);
        (times.len(), times.front().map_or(Duration::ZERO, |oldest| now.saturating_duration_since(*oldest)))
    }

    fn add(&self, buckets: &[&str], now: Instant, window: Duration) {
        let mut map = self.times();
        if map.len() > PRUNE_ABOVE {
            map.retain(|_, times| times.back().is_some_and(|t| now.saturating_duration_since(*t) < window));
        }
        for bucket in buckets {
            let times = map.entry((*bucket).to_owned()).or_default();
            expire(times, now, window);
            times.push_back(now);
        }
    }

    fn forget(&self, bucket: &str, prefix: &str) {
        self.times().retain(|key, _| key != bucket && !key.starts_with(prefix));
    }
}

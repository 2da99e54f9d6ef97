//! A histogram of durations kept in plain atomics: the crate's own histogram takes a lock per
//! observation, too much for the restore path.
use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Upper bounds in seconds: 0.5 ms (a cached restore document) up to 10 s (a large upload).
const BOUNDS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Debug, Default)]
struct Inner {
    /// One more than the bounds: the last counts everything above 10 s.
    buckets: [AtomicU64; BOUNDS.len() + 1],
    sum_micros: AtomicU64,
}

#[derive(Debug, Clone, Default)]
pub struct FastHistogram(Arc<Inner>);

impl FastHistogram {
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let index = BOUNDS.iter().position(|b| seconds <= *b).unwrap_or(BOUNDS.len());
        self.0.buckets[index].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.0.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

impl TypedMetric for FastHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for FastHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let counts: Vec<u64> = self.0.buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect();
        let buckets: Vec<(f64, u64)> =
            BOUNDS.iter().copied().chain([f64::INFINITY]).zip(counts.iter().copied()).collect();
        // The count is the sum of the buckets, so the two agree even while requests run.
        let count = counts.iter().sum();
        #[allow(clippy::cast_precision_loss)] // microseconds summed: exact below 2^53 µs (285 years)
        let sum = self.0.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::FastHistogram;
    use std::time::Duration;

    #[test]
    fn observations_land_in_their_bucket() {
        let h = FastHistogram::default();
        h.observe(Duration::from_micros(300));
        h.observe(Duration::from_millis(7));
        h.observe(Duration::from_mins(1));
        let counts: Vec<u64> = h.0.buckets.iter().map(|b| b.load(std::sync::atomic::Ordering::Relaxed)).collect();
        assert_eq!(counts[0], 1);
        assert_eq!(counts[4], 1);
        assert_eq!(counts[14], 1);
        assert_eq!(h.0.sum_micros.load(std::sync::atomic::Ordering::Relaxed), 60_007_300);
    }
}

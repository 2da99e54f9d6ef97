//! Wraps the configured scanner so every scan, wherever it is asked for (push, retry, rescan),
//! is counted by result and timed in one place.
use super::{ScanOutcome, Scanner};
use std::path::Path;
use std::sync::Arc;

pub struct Measured(pub Arc<dyn Scanner>);

impl Scanner for Measured {
    fn describe(&self) -> String {
        self.0.describe()
    }

    fn scan(&self, path: &Path) -> ScanOutcome {
        let started = std::time::Instant::now();
        let outcome = self.0.scan(path);
        let result = match outcome {
            ScanOutcome::Clean => "clean",
            ScanOutcome::Infected { .. } => "infected",
            ScanOutcome::Error(_) => "error",
        };
        crate::metrics::scan(result, started.elapsed());
        outcome
    }
}

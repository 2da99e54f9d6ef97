//! Whether a job run did anything: decides if its "job done" line is INFO or DEBUG.
use crate::services::maintenance::{PurgeReport, ReindexReport};
use crate::services::rescan::RescanReport;
use crate::services::retention;
use crate::services::validation::RetryReport;
use std::fmt::Display;

/// A job's report: what to log, and whether there was anything to do.
pub trait Outcome: Display {
    fn did_something(&self) -> bool;
}

/// Any job's report, as text, for `Job::run` (one type for every job).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobOutcome {
    pub text: String,
    pub busy: bool,
}

impl JobOutcome {
    pub fn of(report: &impl Outcome) -> Self {
        Self { text: report.to_string(), busy: report.did_something() }
    }
}

impl Display for JobOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl Outcome for JobOutcome {
    fn did_something(&self) -> bool {
        self.busy
    }
}

impl Outcome for RescanReport {
    fn did_something(&self) -> bool {
        self.scanned > 0
    }
}

impl Outcome for ReindexReport {
    /// The rebuild itself runs every time; it is news only when it repaired something.
    fn did_something(&self) -> bool {
        self.drift > 0 || self.ids > 0
    }
}

impl Outcome for PurgeReport {
    fn did_something(&self) -> bool {
        self.rows.iter().chain(&self.leftovers).any(|(_, n)| *n > 0)
    }
}

impl Outcome for RetryReport {
    fn did_something(&self) -> bool {
        self.published + self.failed + self.waiting > 0
    }
}

impl Outcome for retention::Report {
    fn did_something(&self) -> bool {
        !self.removals.is_empty()
    }
}

//! Virus scanners behind one small trait: `builtin` (EICAR and a hash deny-list; not an
//! antivirus), `clamd` (the ClamAV daemon) and `command` (an external program such as clamscan).
//! A scan is blocking: callers run it on a blocking thread.
//!
//! The three outcomes are kept apart on purpose: only `Clean` publishes, `Infected` refuses, and
//! `Error` (scanner down, timeout, size limit) leaves the package waiting, never published unscanned.
pub mod builtin;
pub mod clamd;
pub mod command;
pub mod measured;
pub mod notify;

use crate::config::{Config, ScannerKind};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanOutcome {
    Clean,
    /// `signature` is the scanner's name for what it found, e.g. `Eicar-Signature`.
    Infected {
        signature: String,
    },
    /// The scan could not be completed; the message is for the log and the package page.
    Error(String),
}

pub trait Scanner: Send + Sync {
    /// Short name for logs, e.g. `clamd tcp://127.0.0.1:3310`.
    fn describe(&self) -> String;
    /// Scans the `.nupkg` at `path` (a complete file).
    fn scan(&self, path: &Path) -> ScanOutcome;
}

/// Builds the scanner chosen by `[scan] scanner`.
pub fn from_config(config: &Config) -> Arc<dyn Scanner> {
    Arc::new(measured::Measured(configured(config)))
}

fn configured(config: &Config) -> Arc<dyn Scanner> {
    let scan = &config.scan;
    let timeout = Duration::from_secs(scan.timeout_seconds);
    match scan.scanner {
        ScannerKind::Builtin => Arc::new(builtin::BuiltinScanner::new(
            (!scan.builtin_denylist.trim().is_empty()).then(|| scan.builtin_denylist.clone().into()),
            builtin::Limits {
                // Nested archives may expand further than the structural check allowed for the outer one.
                max_bytes: config.publish.max_expanded_mb.saturating_mul(2 * 1024 * 1024),
                ..builtin::Limits::default()
            },
            config.tmp_dir(),
        )),
        ScannerKind::Clamd => Arc::new(clamd::ClamdScanner::new(
            // Validated at start-up; a bad address here would have stopped the server already.
            clamd::Address::parse(&scan.clamd_address).unwrap_or(clamd::Address::Tcp("127.0.0.1:3310".into())),
            timeout,
        )),
        ScannerKind::Command => Arc::new(command::CommandScanner {
            template: scan.command.clone(),
            clean_codes: scan.clean_exit_codes.clone(),
            infected_codes: scan.infected_exit_codes.clone(),
            timeout,
        }),
    }
}

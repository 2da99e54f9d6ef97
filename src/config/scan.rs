//! `[scan]`: which scanner checks pushed packages, how, and how failed scans are retried.
use super::{clamd_address, ConfigError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ScannerKind {
    /// EICAR and a SHA-256 deny-list only: a smoke test, not an antivirus.
    Builtin,
    /// The ClamAV daemon over its INSTREAM protocol.
    Clamd,
    /// An external command, e.g. clamscan.
    Command,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ScanMode {
    /// The push waits for the scan and answers 201 or 400.
    Sync,
    /// The push answers 202 at once; the package is published when the scan comes back clean.
    Async,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ScanConfig {
    pub scanner: ScannerKind,
    pub mode: ScanMode,
    /// Longest one scan may take before it counts as a scanner error.
    pub timeout_seconds: u64,
    /// Keep the bytes of infected packages in `<data-dir>/quarantine/` (never served) instead of deleting them.
    pub keep_infected: bool,
    /// Builtin scanner: file of SHA-256 hashes to refuse; empty = none.
    pub builtin_denylist: String,
    /// Clamd scanner: `tcp://host:port` or `unix:/path/to/socket`.
    pub clamd_address: String,
    /// Command scanner: program and arguments; `{path}` is replaced by the package file.
    pub command: Vec<String>,
    pub clean_exit_codes: Vec<i32>,
    pub infected_exit_codes: Vec<i32>,
    /// Backoff of packages left `validating` by a scanner error: first retry after the base,
    /// doubling up to the maximum.
    pub retry_base_seconds: u64,
    pub retry_max_seconds: u64,
}

impl Default for ScanConfig {
    fn default() -> Self {
        Self {
            scanner: ScannerKind::Builtin,
            mode: ScanMode::Sync,
            timeout_seconds: 120,
            keep_infected: false,
            builtin_denylist: String::new(),
            clamd_address: "tcp://127.0.0.1:3310".into(),
            command: vec!["clamscan".into(), "--no-summary".into(), "{path}".into()],
            clean_exit_codes: vec![0],
            infected_exit_codes: vec![1],
            retry_base_seconds: 60,
            retry_max_seconds: 3600,
        }
    }
}

impl ScanConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(format!("[scan] {m}")));
        if self.timeout_seconds == 0 {
            return invalid("timeout_seconds must be at least 1");
        }
        if self.retry_base_seconds == 0 || self.retry_max_seconds < self.retry_base_seconds {
            return invalid("retry_base_seconds must be at least 1 and retry_max_seconds at least retry_base_seconds");
        }
        match self.scanner {
            ScannerKind::Clamd if clamd_address::Address::parse(&self.clamd_address).is_none() => invalid(&format!(
                "clamd_address = '{}' must look like tcp://127.0.0.1:3310 or unix:/run/clamav/clamd.ctl",
                self.clamd_address
            )),
            ScannerKind::Command if self.command.first().is_none_or(|p| p.trim().is_empty()) => {
                invalid("command must name a program, e.g. [\"clamscan\", \"--no-summary\", \"{path}\"]")
            }
            ScannerKind::Command if self.clean_exit_codes.iter().any(|c| self.infected_exit_codes.contains(c)) => {
                invalid("clean_exit_codes and infected_exit_codes must not share a code")
            }
            _ => Ok(()),
        }
    }
}

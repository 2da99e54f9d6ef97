//! Credentials a private feed has verified recently, so that a restore of hundreds of files costs
//! one check, not hundreds of bcrypt runs and SQL queries (the check itself is
//! `services::feed_access`).
//!
//! An entry is stale as soon as any credential is withdrawn: every withdrawal bumps the credential
//! epoch (see `db::credential_epoch`), at once in this process and, through the database, within a
//! second for changes made by another process.
use crate::db::credential_epoch;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const REMEMBER_FOR: Duration = Duration::from_mins(5);
const MAX_REMEMBERED: usize = 10_000;
/// How stale this process's view of the stored epoch may get (changes by other processes).
const STORED_EPOCH_EVERY: Duration = Duration::from_secs(1);

/// When a credential was verified, and the epochs it was verified under.
#[derive(Clone, Copy)]
pub struct Verified {
    at: Instant,
    local: u64,
    stored: u64,
}

impl Verified {
    /// The epochs as they are now. Taken before a check, so that a withdrawal committing during
    /// the check makes the entry stale at once.
    pub fn now(cache: &FeedAccessCache) -> Self {
        Self { at: Instant::now(), local: credential_epoch::local(), stored: cache.stored_epoch.load(Ordering::SeqCst) }
    }
}

pub struct FeedAccessCache {
    verified: Mutex<HashMap<[u8; 32], Verified>>,
    stored_epoch: AtomicU64,
    stored_checked: Mutex<Option<Instant>>,
}

impl Default for FeedAccessCache {
    fn default() -> Self {
        Self { verified: Mutex::default(), stored_epoch: AtomicU64::new(0), stored_checked: Mutex::new(None) }
    }
}

impl FeedAccessCache {
    pub fn fingerprint(username: &str, password: &str) -> [u8; 32] {
        Sha256::new()
            .chain_update(username.as_bytes())
            .chain_update([0])
            .chain_update(password.as_bytes())
            .finalize()
            .into()
    }

    pub fn is_fresh(&self, fp: &[u8; 32]) -> bool {
        let stored = self.stored_epoch.load(Ordering::SeqCst);
        self.verified.lock().is_ok_and(|m| {
            m.get(fp).is_some_and(|v| {
                v.at.elapsed() < REMEMBER_FOR && v.local == credential_epoch::local() && v.stored == stored
            })
        })
    }

    pub fn remember(&self, fp: [u8; 32], verified: Verified) {
        if let Ok(mut m) = self.verified.lock() {
            if m.len() >= MAX_REMEMBERED {
                m.retain(|_, v| v.at.elapsed() < REMEMBER_FOR);
            }
            m.insert(fp, verified);
        }
    }

    /// True when the stored epoch should be read again (at most once a second, by one request).
    pub fn stored_epoch_due(&self) -> bool {
        let Ok(mut checked) = self.stored_checked.lock() else { return true };
        if checked.is_some_and(|at| at.elapsed() < STORED_EPOCH_EVERY) {
            return false;
        }
        *checked = Some(Instant::now());
        true
    }

    pub fn set_stored_epoch(&self, value: u64) {
        self.stored_epoch.store(value, Ordering::SeqCst);
    }
}

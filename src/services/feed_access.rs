//! Read access to a private feed (`[feed] require_auth`): HTTP Basic credentials whose password is
//! an API key or the account's password. Verified credentials are remembered for a few minutes, so
//! a restore of hundreds of files costs one check, not hundreds of bcrypt runs and SQL queries.
//!
//! What is remembered is forgotten as soon as any credential is withdrawn (a key deleted, a
//! password changed, an account disabled): every such change bumps the credential epoch (see
//! `db::credential_epoch`), at once in this process and, through the database, within a second
//! for changes made by another process. Failed checks count against the sign-in limits.
use crate::db::{credential_epoch, users};
use crate::error::AppError;
use crate::services::{accounts, keys};
use crate::state::AppState;
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
struct Verified {
    at: Instant,
    local: u64,
    stored: u64,
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
    fn fingerprint(username: &str, password: &str) -> [u8; 32] {
        Sha256::new()
            .chain_update(username.as_bytes())
            .chain_update([0])
            .chain_update(password.as_bytes())
            .finalize()
            .into()
    }

    fn is_fresh(&self, fp: &[u8; 32]) -> bool {
        let stored = self.stored_epoch.load(Ordering::SeqCst);
        self.verified.lock().is_ok_and(|m| {
            m.get(fp).is_some_and(|v| {
                v.at.elapsed() < REMEMBER_FOR && v.local == credential_epoch::local() && v.stored == stored
            })
        })
    }

    fn remember(&self, fp: [u8; 32], verified: Verified) {
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

pub fn unauthorized() -> AppError {
    AppError::Unauthorized {
        message: "This feed requires credentials: use an API key (or your password) as the password.".into(),
        basic_realm: true,
    }
}

fn unconfirmed() -> AppError {
    AppError::Forbidden(
        "Confirm your email address before reading this private feed: open the link we emailed you.".into(),
    )
}

/// A self-registered account reads a private feed only once its address is confirmed; accounts an
/// administrator created are vouched for. (Disabled accounts never get this far.)
fn may_read(user: &users::UserRow) -> bool {
    !user.self_registered || user.email_confirmed
}

/// Reads the stored credential epoch into the cache. Blocking (SQL): call from a blocking thread.
pub fn refresh_stored_epoch(state: &AppState) -> Result<(), AppError> {
    let value = credential_epoch::stored(&*state.conn()?)?;
    state.feed_access.set_stored_epoch(value);
    Ok(())
}

/// Checks Basic credentials. Blocking on a cache miss (SQL, bcrypt): call from a blocking thread.
pub fn verify(state: &AppState, username: &str, password: &str, ip: Option<&str>) -> Result<(), AppError> {
    let fp = FeedAccessCache::fingerprint(username, password);
    if state.feed_access.is_fresh(&fp) {
        return Ok(());
    }
    let attempt = state.logins.attempt(Some(username), ip);
    state.logins.refuse_if_exhausted(&attempt)?;
    // Taken before the check: a withdrawal that commits during it makes the entry stale at once.
    let epochs = Verified {
        at: Instant::now(),
        local: credential_epoch::local(),
        stored: state.feed_access.stored_epoch.load(Ordering::SeqCst),
    };
    let conn = state.conn()?;
    let by_key = match keys::authenticate(state, &conn, password) {
        Ok(principal) => users::by_name(&conn, &principal.username)?,
        Err(_) => None,
    };
    let user = match by_key {
        Some(user) => Some(user),
        None => accounts::verify_password(&conn, username, password, state.config.accounts.bcrypt_cost)?,
    };
    let Some(user) = user else {
        state.logins.record_failure(&attempt, Instant::now());
        return Err(unauthorized());
    };
    if !may_read(&user) {
        return Err(unconfirmed());
    }
    state.feed_access.remember(fp, epochs);
    Ok(())
}

/// True when the cache already vouches for these credentials (no blocking work needed).
pub fn is_remembered(state: &AppState, username: &str, password: &str) -> bool {
    state.feed_access.is_fresh(&FeedAccessCache::fingerprint(username, password))
}

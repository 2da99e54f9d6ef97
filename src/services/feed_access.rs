//! Read access to a private feed (`[feed] require_auth`): HTTP Basic credentials whose password is
//! an API key or the account's password. Verified credentials are remembered for a few minutes, so
//! a restore of hundreds of files costs one check, not hundreds of bcrypt runs and SQL queries.
use crate::error::AppError;
use crate::services::{accounts, keys};
use crate::state::AppState;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const REMEMBER_FOR: Duration = Duration::from_mins(5);
const MAX_REMEMBERED: usize = 10_000;

#[derive(Default)]
pub struct FeedAccessCache {
    verified: Mutex<HashMap<[u8; 32], Instant>>,
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
        self.verified.lock().is_ok_and(|m| m.get(fp).is_some_and(|at| at.elapsed() < REMEMBER_FOR))
    }

    fn remember(&self, fp: [u8; 32]) {
        if let Ok(mut m) = self.verified.lock() {
            if m.len() >= MAX_REMEMBERED {
                m.retain(|_, at| at.elapsed() < REMEMBER_FOR);
            }
            m.insert(fp, Instant::now());
        }
    }
}

pub fn unauthorized() -> AppError {
    AppError::Unauthorized {
        message: "This feed requires credentials: use an API key (or your password) as the password.".into(),
        basic_realm: true,
    }
}

/// Checks Basic credentials. Blocking on a cache miss (SQL, bcrypt): call from a blocking thread.
pub fn verify(state: &AppState, username: &str, password: &str) -> Result<(), AppError> {
    let fp = FeedAccessCache::fingerprint(username, password);
    if state.feed_access.is_fresh(&fp) {
        return Ok(());
    }
    let conn = state.conn()?;
    let by_key = keys::authenticate(state, &conn, password).is_ok();
    if by_key || accounts::verify_password(&conn, username, password, state.config.accounts.bcrypt_cost)?.is_some() {
        state.feed_access.remember(fp);
        return Ok(());
    }
    Err(unauthorized())
}

/// True when the cache already vouches for these credentials (no blocking work needed).
pub fn is_remembered(state: &AppState, username: &str, password: &str) -> bool {
    state.feed_access.is_fresh(&FeedAccessCache::fingerprint(username, password))
}

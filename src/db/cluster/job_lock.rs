//! One run of a job across the cluster: a session-level PostgreSQL advisory lock, the
//! counterpart of the file lock one node takes in its data folder (`jobs::lock`).
//!
//! The lock is taken with `pg_try_advisory_lock` on a connection of its own, opened for the run
//! and closed after it (a pooled connection would carry the session's lock back into the pool).
//! Dropping the holder unlocks and closes; a holder whose node dies or whose connection drops
//! loses its session, and the server releases the lock with it.
//!
//! The key: the first 8 bytes, big-endian, of SHA-256 over `galley job lock:` followed by the
//! job's name (`flush-downloads`, `rescan`, …), as a signed 64-bit integer. Every node, build and
//! platform derives the same key from the same name (unlike Rust's `Hash`), and the prefix keeps
//! it apart from the keys other code on the server may lock (the migrations' `GALLEYMG`).
use crate::db::DbError;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The name a lock holder's session shows in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "galley-job-lock";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The advisory lock key of `job` (see the module's comment).
pub fn key(job: &str) -> i64 {
    let digest = Sha256::new().chain_update(b"galley job lock:").chain_update(job.as_bytes()).finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// Held while a job runs on this node; no other node's `try_lock` of the job succeeds meanwhile.
pub struct AdvisoryLock {
    client: postgres::Client,
    key: i64,
}

/// The advisory lock key of a push of id+version: as `key`, under its own prefix
/// (`galley push lock:`), so no id+version can share a job's key.
pub fn push_key(id_lower: &str, version_lower: &str) -> i64 {
    let digest = Sha256::new()
        .chain_update(b"galley push lock:")
        .chain_update(id_lower.as_bytes())
        .chain_update(b"/")
        .chain_update(version_lower.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// `Ok(None)` when another session (another node, or another run here) holds the job's lock.
/// `url` is `[database] url`.
pub fn try_lock(url: &str, job: &str) -> Result<Option<AdvisoryLock>, DbError> {
    try_lock_key(url, key(job))
}

/// The push of id+version on this node, across the cluster: `Ok(None)` while another node pushes
/// the same id+version. Without it, two nodes racing on one id+version could each find the
/// other's not-yet-committed file in the shared bucket, take it for a crash's leftover and move
/// it aside (`services::publish`), so the committed row could name the loser's bytes.
pub fn try_lock_push(url: &str, id_lower: &str, version_lower: &str) -> Result<Option<AdvisoryLock>, DbError> {
    try_lock_key(url, push_key(id_lower, version_lower))
}

fn try_lock_key(url: &str, key: i64) -> Result<Option<AdvisoryLock>, DbError> {
    let mut config = super::parse_url(url)?;
    config.application_name(APPLICATION_NAME).connect_timeout(CONNECT_TIMEOUT);
    let mut client = config.connect(postgres::NoTls)?;
    let locked: bool = client.query_one("SELECT pg_try_advisory_lock($1)", &[&key])?.try_get(0)?;
    Ok(locked.then_some(AdvisoryLock { client, key }))
}

impl AdvisoryLock {
    /// The server process of the holder's session (tests end it to show the lock goes with it).
    pub fn backend_pid(&mut self) -> Result<i32, DbError> {
        Ok(self.client.query_one("SELECT pg_backend_pid()", &[])?.try_get(0)?)
    }
}

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        // Unlocked before the connection closes, so the next holder need not wait for the server to
        // notice the closed session; if the connection is gone already, so is the lock.
        let _ = self.client.execute("SELECT pg_advisory_unlock($1)", &[&self.key]);
    }
}

impl std::fmt::Debug for AdvisoryLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdvisoryLock").field("key", &self.key).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::cluster::testing::{scratch, wait_until};

    #[test]
    fn the_key_is_derived_from_the_name_alone() {
        // Pinned: every node of a cluster, whatever its build, must lock the same key.
        assert_eq!(key("flush-downloads"), key("flush-downloads"));
        assert_ne!(key("flush-downloads"), key("rescan"));
        let digest = Sha256::digest(b"galley job lock:rescan");
        assert_eq!(key("rescan").to_be_bytes(), digest[..8]);
    }

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let Some(database) = scratch() else { return };
        let url = database.url();
        let first = try_lock(&url, "rescan").unwrap().expect("the first holder gets the lock");
        assert!(try_lock(&url, "rescan").unwrap().is_none(), "a second holder is refused");
        assert!(try_lock(&url, "reindex").unwrap().is_some(), "another job's lock is its own");
        drop(first);
        assert!(try_lock(&url, "rescan").unwrap().is_some(), "free once dropped");
    }

    /// Two nodes pushing one id+version take turns; other versions and jobs are not held up.
    #[test]
    fn a_push_lock_is_per_id_and_version_and_apart_from_jobs() {
        let digest = Sha256::digest(b"galley push lock:acme/1.0.0");
        assert_eq!(push_key("acme", "1.0.0").to_be_bytes(), digest[..8]);
        assert_ne!(push_key("acme", "1.0.0"), push_key("acme", "1.0.1"));
        let Some(database) = scratch() else { return };
        let url = database.url();
        let first = try_lock_push(&url, "acme", "1.0.0").unwrap().expect("the first push gets the lock");
        assert!(try_lock_push(&url, "acme", "1.0.0").unwrap().is_none(), "the same id+version is refused");
        assert!(try_lock_push(&url, "acme", "2.0.0").unwrap().is_some(), "another version is its own");
        drop(first);
        assert!(try_lock_push(&url, "acme", "1.0.0").unwrap().is_some(), "free once dropped");
    }

    #[test]
    fn a_holder_whose_session_dies_releases_the_lock() {
        let Some(database) = scratch() else { return };
        let url = database.url();
        let mut first = try_lock(&url, "retention").unwrap().unwrap();
        let pid = first.backend_pid().unwrap();
        let mut admin = database.connect();
        let ended: bool = admin.query_one("SELECT pg_terminate_backend($1)", &[&pid]).unwrap().get(0);
        assert!(ended);
        // The server releases the lock when the ended session's process has exited.
        assert!(wait_until(Duration::from_secs(10), || try_lock(&url, "retention").unwrap().is_some()));
        drop(first);
    }
}

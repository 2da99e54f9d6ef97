//! One push at a time waits for the database's write lock. Without this, pushes queued behind a
//! long write transaction (another process, a long import) each held a pooled connection while
//! SQLite's busy handler made them wait, and reads (`/health`, search) waited for a connection.
//! Waiting here holds no connection, and is bounded like the busy handler, so a lock held too
//! long answers every queued push with 503 at about the same time.
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// About as long as the busy handler waits for the write lock (see `db::pool`).
pub const WAIT: Duration = Duration::from_secs(10);

#[derive(Default)]
pub struct CommitGate {
    busy: Mutex<bool>,
    freed: Condvar,
}

/// Held while one push commits; dropping it lets the next one in.
pub struct Turn<'a>(&'a CommitGate);

impl CommitGate {
    /// Waits at most `limit` for the turn; `None` when it did not come.
    pub fn enter(&self, limit: Duration) -> Option<Turn<'_>> {
        let deadline = Instant::now() + limit;
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        while *busy {
            let left = deadline.checked_duration_since(Instant::now())?;
            busy = self.freed.wait_timeout(busy, left).unwrap_or_else(PoisonError::into_inner).0;
        }
        *busy = true;
        Some(Turn(self))
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        *self.0.busy.lock().unwrap_or_else(PoisonError::into_inner) = false;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_turn_at_a_time_and_waiting_is_bounded() {
        let gate = CommitGate::default();
        let turn = gate.enter(WAIT).unwrap();
        assert!(gate.enter(Duration::from_millis(1)).is_none());
        drop(turn);
        assert!(gate.enter(Duration::ZERO).is_some());
    }
}

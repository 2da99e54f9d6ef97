//! The one source of "now" for every decision by time (expiry of sessions, keys, invitations,
//! email links, pending sign-ins; retries, retention ages) and every timestamp Galley writes.
//! It reads the system clock plus an offset that is zero in production: the tests move the
//! offset forward to let days pass in a moment, instead of rewriting rows in the database.
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Cheap to clone; every clone shares one offset, so advancing a test's clock moves the server's.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Milliseconds added to the system clock.
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock (the offset starts at zero and nothing in the server changes it).
    pub fn system() -> Self {
        Self::default()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.at(Utc::now())
    }

    /// What this clock reads when the system clock reads `wall`.
    fn at(&self, wall: DateTime<Utc>) -> DateTime<Utc> {
        wall + Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }

    /// `now` as stored in the database: RFC 3339 UTC text with milliseconds, so that stored
    /// times sort as text and compare with each other in SQL.
    pub fn now_text(&self) -> String {
        text(self.now())
    }

    /// Milliseconds this clock runs ahead of the system clock (handed to PostgreSQL's
    /// `galley_now()` as a setting of each transaction).
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }

    /// Moves this clock and all its clones forward (tests only: time passes without waiting).
    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }
}

/// A time in the database's text form (see `Clock::now_text`).
pub fn text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_offset() {
        let wall = DateTime::parse_from_rfc3339("2024-01-02T03:04:05Z").unwrap().with_timezone(&Utc);
        let clock = Clock::system();
        let other = clock.clone();
        assert_eq!(other.at(wall), wall);
        clock.advance(Duration::days(3) + Duration::seconds(1));
        assert_eq!(other.at(wall), wall + Duration::days(3) + Duration::seconds(1));
    }

    #[test]
    fn stored_text_has_milliseconds_and_z() {
        let t = DateTime::parse_from_rfc3339("2024-01-02T03:04:05.678+02:00").unwrap().with_timezone(&Utc);
        assert_eq!(text(t), "2024-01-02T01:04:05.678Z");
    }
}

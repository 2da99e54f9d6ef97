//! The time the database layer stamps rows with (`created_at`, `used_at`, audit `at`…) comes
//! from the state's `Clock`, so that a test which lets days pass sees rows stamped in its time.
//! Each pooled connection answers `SELECT galley_now()` from the clock it was opened with
//! (`pool.rs`); a connection opened outside the pool (a unit test's in-memory database, a tool)
//! has no such function and stamps with the system clock.
use crate::domain::clock::Clock;
use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;

const FUNCTION: &str = "galley_now";

/// Makes `galley_now()` read `clock` on this connection. Used only by `now_text`, never in the
/// schema, so other tools can still open the database.
pub fn register(conn: &Connection, clock: Clock) -> rusqlite::Result<()> {
    conn.create_scalar_function(FUNCTION, 0, FunctionFlags::SQLITE_UTF8, move |_| Ok(clock.now_text()))
}

/// "Now" in the stored text form, from the connection's clock.
pub fn now_text(conn: &Connection) -> rusqlite::Result<String> {
    match conn.prepare_cached("SELECT galley_now()") {
        Ok(mut statement) => statement.query_row([], |r| r.get(0)),
        Err(rusqlite::Error::SqlInputError { msg, .. } | rusqlite::Error::SqliteFailure(_, Some(msg)))
            if msg.starts_with("no such function") =>
        {
            Ok(Clock::system().now_text())
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pooled_connection_stamps_with_its_clock_and_another_with_the_system_clock() {
        let clock = Clock::system();
        clock.advance(chrono::Duration::days(365 * 100));
        let conn = Connection::open_in_memory().unwrap();
        let plain = now_text(&conn).unwrap();
        register(&conn, clock.clone()).unwrap();
        let stamped = now_text(&conn).unwrap();
        // A century apart: the registered clock was moved, the system clock was not.
        assert!(stamped[..4].parse::<i32>().unwrap() - plain[..4].parse::<i32>().unwrap() >= 99, "{plain} {stamped}");
    }
}

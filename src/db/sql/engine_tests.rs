//! The layer itself, the same assertions on SQLite and on the real PostgreSQL.
use super::testing::on_both_engines;
use super::{Engine, Value};
use crate::db::DbError;
use crate::values;

#[test]
fn galley_now_follows_the_state_clock_on_both_engines() {
    on_both_engines(|db| {
        let before = db.tx(|tx| tx.now_text()).unwrap();
        db.clock.advance(chrono::Duration::days(100));
        let after = db.tx(|tx| tx.now_text()).unwrap();
        // The stored form: RFC 3339 UTC with milliseconds, so stored times sort as text.
        assert_eq!((before.len(), &before[19..20], &before[23..]), (24, ".", "Z"), "{before}");
        let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap();
        assert_eq!((parse(&after) - parse(&before)).num_days(), 100, "{before} {after}");
    });
}

#[test]
fn values_go_in_and_come_back_unchanged_on_both_engines() {
    on_both_engines(|db| {
        let row = db
            .tx(|tx| {
                tx.query_row(
                    "SELECT CAST(?1 AS DOUBLE PRECISION), CAST(?2 AS TEXT), CAST(?3 AS BIGINT), CAST(?4 AS BIGINT)",
                    values![1.5, "héllo ✓ '?1'", None::<i64>, i64::MIN],
                    |r| Ok((r.get::<f64>(0)?, r.get::<String>(1)?, r.get::<Option<i64>>(2)?, r.get::<i64>(3)?)),
                )
            })
            .unwrap();
        assert_eq!(row, (1.5, "héllo ✓ '?1'".to_owned(), None, i64::MIN));
        let blob: Vec<u8> = (0..=255).collect();
        db.tx(|tx| {
            tx.execute(
                "INSERT INTO users (username, username_lower, email, email_lower, created_at) VALUES ('a', 'a', 'a@x', 'a@x', 'now')",
                &[],
            )
        })
        .unwrap();
        let back: Vec<u8> = db
            .tx(|tx| {
                tx.query_row(
                    "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) SELECT ?1, id, 'now', 'later' FROM users RETURNING token_hash",
                    values![blob.clone()],
                    |r| r.get(0),
                )
            })
            .unwrap();
        assert_eq!(back, blob);
        let wrong = db.tx(|tx| tx.query_row("SELECT username FROM users", &[], |r| r.get::<i64>(0))).unwrap_err();
        assert_eq!(wrong.to_string(), "database column: column 0: expected an integer, found text");
        let none = db
            .tx(|tx| tx.query_row("SELECT username FROM users WHERE id < 0", &[], |r| r.get::<Value>(0)))
            .unwrap_err();
        assert!(matches!(none, DbError::NoRow), "{none}");
    });
}

#[test]
fn insert_or_ignore_and_refusals_behave_alike_on_both_engines() {
    on_both_engines(|db| {
        let reserve =
            "INSERT OR IGNORE INTO reserved_prefixes (prefix_lower, prefix, created_at) VALUES (lower(?1), ?1, ?2)";
        assert_eq!(db.tx(|tx| tx.execute(reserve, values!["Acme.", "t"])).unwrap(), 1);
        assert_eq!(db.tx(|tx| tx.execute(reserve, values!["ACME.", "t"])).unwrap(), 0);
        let count =
            db.tx(|tx| tx.query_row("SELECT count(*) FROM reserved_prefixes", &[], |r| r.get::<i64>(0))).unwrap();
        assert_eq!(count, 1);
        // Refused before it reaches either engine, so a SQLite-only test run catches it too.
        let refused = db
            .tx(|tx| tx.execute("INSERT OR REPLACE INTO reserved_prefixes (prefix_lower, prefix, created_at) VALUES ('b', 'b', 't')", &[]))
            .unwrap_err();
        assert!(
            refused
                .to_string()
                .starts_with("database: not portable to PostgreSQL: INSERT OR REPLACE needs a conflict target"),
            "{refused}"
        );
        let engine = db.engine();
        assert!(matches!(engine, Engine::Sqlite | Engine::Postgres));
    });
}

#[test]
fn a_refusal_in_a_savepoint_leaves_the_transaction_usable_on_both_engines() {
    on_both_engines(|db| {
        let reserve = "INSERT INTO reserved_prefixes (prefix_lower, prefix, created_at) VALUES (lower(?1), ?1, 't')";
        let (refused, count) = db
            .tx(|tx| {
                tx.execute(reserve, values!["Acme."])?;
                let refused = tx.in_savepoint(|sp| sp.execute(reserve, values!["ACME."])).unwrap_err();
                tx.in_savepoint(|sp| sp.execute(reserve, values!["Other."]))?;
                Ok((refused, tx.query_row("SELECT count(*) FROM reserved_prefixes", &[], |r| r.get::<i64>(0))?))
            })
            .unwrap();
        assert!(refused.is_unique_violation(), "{refused}");
        assert_eq!(count, 2, "the transaction went on after the refusal");
    });
}

//! Rows that expire: one line per (table, expiry column).
use super::sql::Sql;
use super::DbError;
use crate::values;

pub const EXPIRING: &[(&str, &str)] =
    &[("owner_invitations", "expires_at"), ("sessions", "expires_at"), ("email_tokens", "expires_at")];

/// Deletes rows whose expiry is before `now` (RFC 3339 text); returns (table, rows deleted).
pub fn purge(db: &dyn Sql, now: &str) -> Result<Vec<(&'static str, u64)>, DbError> {
    EXPIRING
        .iter()
        .map(|(table, column)| {
            // Names come from the constant above, never from input.
            let n = db.execute(&format!("DELETE FROM {table} WHERE {column} < ?1"), values![now])?;
            Ok((*table, n))
        })
        .collect()
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::on_both_engines;
    use crate::db::test_rows::{package, user};
    use crate::db::{email_tokens, owners, sessions};

    #[test]
    fn expired_rows_go_and_live_ones_stay_on_both_engines() {
        on_both_engines(|db| {
            let alice = db.tx(|tx| user(tx, "alice")).unwrap();
            let core = db.tx(|tx| package(tx, "Contoso.Core")).unwrap();
            let (past, future) = ("2000-01-01T00:00:00.000Z", "2999-01-01T00:00:00.000Z");
            db.tx(|tx| sessions::insert(tx, b"s-old", alice, past, None)).unwrap();
            db.tx(|tx| sessions::insert(tx, b"s-new", alice, future, None)).unwrap();
            db.tx(|tx| email_tokens::insert(tx, alice, "confirm-email", b"e-old", "a@example.com", past)).unwrap();
            db.tx(|tx| owners::replace_invitation(tx, core, alice, None, b"i-new", future)).unwrap();

            let purged = db.tx(|tx| purge(tx, "2024-01-01T00:00:00.000Z")).unwrap();
            assert_eq!(purged, [("owner_invitations", 0), ("sessions", 1), ("email_tokens", 1)]);
            assert!(db.tx(|tx| sessions::by_hash(tx, b"s-old")).unwrap().is_none());
            assert!(db.tx(|tx| sessions::by_hash(tx, b"s-new")).unwrap().is_some());
            assert!(db.tx(|tx| owners::invitation_by_hash(tx, b"i-new")).unwrap().is_some());
            let again = db.tx(|tx| purge(tx, "2024-01-01T00:00:00.000Z")).unwrap();
            assert!(again.iter().all(|(_, n)| *n == 0), "{again:?}");
        });
    }
}

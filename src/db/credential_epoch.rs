//! A counter of withdrawn credentials (see `migrations/0005_credentials.sql`). Every function in
//! `db/` that withdraws a credential calls [`bump`], so no service can forget to: the stored value
//! tells other processes (a `galley apikey revoke` next to the server), the in-process counter
//! tells this one at once.
use super::sql::Sql;
use super::DbError;
use crate::values;
use std::sync::atomic::{AtomicU64, Ordering};

static LOCAL: AtomicU64 = AtomicU64::new(0);

pub fn bump(db: &dyn Sql) -> Result<(), DbError> {
    db.execute("UPDATE credential_epoch SET value = value + 1 WHERE id = 1", values![])?;
    LOCAL.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

/// Changes whenever this process withdrew a credential.
pub fn local() -> u64 {
    LOCAL.load(Ordering::SeqCst)
}

/// Changes whenever any process withdrew a credential.
pub fn stored(db: &dyn Sql) -> Result<u64, DbError> {
    let value: i64 = db.query_row("SELECT value FROM credential_epoch WHERE id = 1", values![], |r| r.get(0))?;
    Ok(u64::try_from(value).unwrap_or_default())
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::on_both_engines;

    #[test]
    fn the_epoch_counts_withdrawals_on_both_engines() {
        on_both_engines(|db| {
            let stored_before = db.tx(stored).unwrap();
            let local_before = local();
            db.tx(bump).unwrap();
            db.tx(bump).unwrap();
            assert_eq!(db.tx(stored).unwrap(), stored_before + 2);
            // Other tests bump it too, so only "moved by at least these two" holds.
            assert!(local() >= local_before + 2);
        });
    }
}

//! The counts `/health` reports, in one query.
use super::sql::Sql;
use super::DbError;
use crate::values;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthCounts {
    pub packages: i64,
    pub versions: i64,
    /// Versions waiting for their scan.
    pub validating: i64,
    pub mail_queued: i64,
    pub mail_failed: i64,
    /// Ids whose rendered documents lag the database (background rendering still to do).
    pub docs_pending: i64,
}

pub fn counts(db: &dyn Sql) -> Result<HealthCounts, DbError> {
    db.query_row(
        "SELECT (SELECT count(*) FROM packages),
                (SELECT count(*) FROM package_versions WHERE status = 'available'),
                (SELECT count(*) FROM package_versions WHERE status = 'validating'),
                (SELECT count(*) FROM mail_log WHERE status = 'queued'),
                (SELECT count(*) FROM mail_log WHERE status = 'failed'),
                (SELECT count(*) FROM packages WHERE docs_rendered < docs_changes)",
        values![],
        |r| {
            Ok(HealthCounts {
                packages: r.get(0)?,
                versions: r.get(1)?,
                validating: r.get(2)?,
                mail_queued: r.get(3)?,
                mail_failed: r.get(4)?,
                docs_pending: r.get(5)?,
            })
        },
    )
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::package_fixtures::{push, user};
    use crate::db::sql::testing::on_both_engines;
    use crate::domain::version_status::VersionStatus;

    #[test]
    fn counts_on_both_engines() {
        on_both_engines(|db| {
            let empty = HealthCounts {
                packages: 0,
                versions: 0,
                validating: 0,
                mail_queued: 0,
                mail_failed: 0,
                docs_pending: 0,
            };
            assert_eq!(db.tx(|tx| counts(tx)).unwrap(), empty);
            let owner = db.tx(|tx| Ok(user(tx, "alice"))).unwrap();
            db.tx(|tx| push(tx, "Acme", "1.0.0", "", VersionStatus::Available, owner)).unwrap();
            db.tx(|tx| push(tx, "Acme", "2.0.0", "", VersionStatus::Validating, owner)).unwrap();
            db.tx(|tx| push(tx, "Other", "1.0.0", "", VersionStatus::Available, owner)).unwrap();
            db.tx(|tx| tx.execute("UPDATE packages SET docs_changes = 1 WHERE id_lower = 'other'", values![])).unwrap();
            assert_eq!(
                db.tx(|tx| counts(tx)).unwrap(),
                HealthCounts { packages: 2, versions: 2, validating: 1, docs_pending: 1, ..empty }
            );
        });
    }
}

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

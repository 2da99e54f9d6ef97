//! Validation state of versions: what to scan, claims, outcomes, and who to tell.
use super::sql::{Row, Sql};
use super::DbError;
use crate::domain::version_status::VersionStatus;
use crate::values;
use chrono::{DateTime, Utc};

/// Timestamps compared in SQL must use the one text format of `now_text`.
pub fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A version to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanTarget {
    pub version_key: i64,
    pub package_key: i64,
    pub package_id: String,
    pub id_lower: String,
    /// Normalized, for messages.
    pub version: String,
    pub version_lower: String,
    pub pushed_by: Option<i64>,
    pub scan_attempts: u32,
}

const TARGET: &str = "SELECT v.id, p.id, p.package_id, p.id_lower, v.version_normalized, v.version_lower, v.pushed_by,
    v.scan_attempts FROM package_versions v JOIN packages p ON p.id = v.package_key";

fn target_from_row(r: &Row) -> Result<ScanTarget, DbError> {
    Ok(ScanTarget {
        version_key: r.get(0)?,
        package_key: r.get(1)?,
        package_id: r.get(2)?,
        id_lower: r.get(3)?,
        version: r.get(4)?,
        version_lower: r.get(5)?,
        pushed_by: r.get(6)?,
        scan_attempts: r.get(7)?,
    })
}

pub fn target(db: &dyn Sql, id_lower: &str, version_lower: &str) -> Result<Option<ScanTarget>, DbError> {
    let sql = format!("{TARGET} WHERE p.id_lower = ?1 AND v.version_lower = ?2");
    db.query_optional(&sql, values![id_lower, version_lower], target_from_row)
}

/// Validating versions whose next scan is due at `now`, oldest first.
pub fn due_validating(db: &dyn Sql, now: DateTime<Utc>) -> Result<Vec<ScanTarget>, DbError> {
    let sql = format!(
        "{TARGET} WHERE v.status = 'validating' AND (v.next_scan_at IS NULL OR v.next_scan_at <= ?1) ORDER BY v.id"
    );
    db.query_map(&sql, values![time_text(now)], target_from_row)
}

/// Available versions, of one id or all, for a rescan.
pub fn available(db: &dyn Sql, id_lower: Option<&str>) -> Result<Vec<ScanTarget>, DbError> {
    // The cast tells PostgreSQL the parameter's type where `?1 IS NULL` alone does not.
    let sql = format!(
        "{TARGET} WHERE v.status = 'available' AND (CAST(?1 AS TEXT) IS NULL OR p.id_lower = ?1) ORDER BY p.id_lower, v.id"
    );
    db.query_map(&sql, values![id_lower], target_from_row)
}

/// Takes a validating version for one scan until `until`, so the retry job and a background scan
/// (or two processes) never scan it at once. False when someone else holds it or it moved on.
pub fn claim(db: &dyn Sql, version_key: i64, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool, DbError> {
    let n = db.execute(
        "UPDATE package_versions SET next_scan_at = ?3
         WHERE id = ?1 AND status = 'validating' AND (next_scan_at IS NULL OR next_scan_at <= ?2)",
        values![version_key, time_text(now), time_text(until)],
    )?;
    Ok(n == 1)
}

/// Records a failed scan attempt of a validating version and when to try again.
pub fn schedule_retry(
    db: &dyn Sql,
    version_key: i64,
    attempts: u32,
    next: DateTime<Utc>,
    reason: &str,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE package_versions SET scan_attempts = ?2, next_scan_at = ?3, status_reason = ?4
         WHERE id = ?1 AND status = 'validating'",
        values![version_key, attempts, time_text(next), reason],
    )?;
    Ok(())
}

/// Publishes a validating version: the moment it becomes visible is its publication time.
pub fn mark_available(db: &dyn Sql, version_key: i64) -> Result<bool, DbError> {
    let n = db.execute(
        "UPDATE package_versions SET status = 'available', status_reason = NULL, scanned_at = ?2, next_scan_at = NULL,
             published_at = ?2, last_edited_at = ?2
         WHERE id = ?1 AND status = 'validating'",
        values![version_key, db.now_text()?],
    )?;
    Ok(n == 1)
}

/// Moves a version from one status to another (validating → failed, available → quarantined);
/// false when it was no longer in `from`.
pub fn change_status(
    db: &dyn Sql,
    version_key: i64,
    from: VersionStatus,
    to: VersionStatus,
    reason: &str,
) -> Result<bool, DbError> {
    let n = db.execute(
        "UPDATE package_versions SET status = ?3, status_reason = ?4, next_scan_at = NULL, last_edited_at = ?5
         WHERE id = ?1 AND status = ?2",
        values![version_key, from, to, reason, db.now_text()?],
    )?;
    Ok(n == 1)
}

pub fn record_clean_scan(db: &dyn Sql, version_key: i64) -> Result<(), DbError> {
    db.execute("UPDATE package_versions SET scanned_at = ?2 WHERE id = ?1", values![version_key, db.now_text()?])?;
    Ok(())
}

/// Removes a version that failed validation so its number can be pushed again: it was never served.
pub fn delete_failed(db: &dyn Sql, package_key: i64, version_lower: &str) -> Result<bool, DbError> {
    let n = db.execute(
        "DELETE FROM package_versions WHERE package_key = ?1 AND version_lower = ?2 AND status = 'failed'",
        values![package_key, version_lower],
    )?;
    Ok(n == 1)
}

/// (username, email) of enabled accounts.
pub type Recipient = (String, String);

fn recipients(db: &dyn Sql, sql: &str, params: &[super::sql::Value]) -> Result<Vec<Recipient>, DbError> {
    db.query_map(sql, params, |r| Ok((r.get(0)?, r.get(1)?)))
}

pub fn owner_recipients(db: &dyn Sql, package_key: i64) -> Result<Vec<Recipient>, DbError> {
    recipients(
        db,
        "SELECT u.username, u.email FROM package_owners o JOIN users u ON u.id = o.user_id
         WHERE o.package_key = ?1 AND u.is_disabled = 0 ORDER BY u.username_lower",
        values![package_key],
    )
}

pub fn admin_recipients(db: &dyn Sql) -> Result<Vec<Recipient>, DbError> {
    recipients(
        db,
        "SELECT username, email FROM users WHERE is_admin = 1 AND is_disabled = 0 ORDER BY username_lower",
        values![],
    )
}

pub fn user_recipient(db: &dyn Sql, user_id: i64) -> Result<Vec<Recipient>, DbError> {
    recipients(db, "SELECT username, email FROM users WHERE id = ?1 AND is_disabled = 0", values![user_id])
}

/// A version that is not served, with why: the admin page's "scan results" list.
pub struct HeldVersion {
    pub package_id: String,
    pub version: String,
    pub status: VersionStatus,
    pub reason: Option<String>,
}

/// Versions that failed validation, are quarantined or still wait for their scan, newest first.
pub fn held_versions(db: &dyn Sql, limit: u32) -> Result<Vec<HeldVersion>, DbError> {
    db.query_map(
        "SELECT p.package_id, v.version_normalized, v.status, v.status_reason
         FROM package_versions v JOIN packages p ON p.id = v.package_key
         WHERE v.status IN ('failed', 'quarantined', 'validating')
         ORDER BY v.id DESC LIMIT ?1",
        values![limit],
        |r| Ok(HeldVersion { package_id: r.get(0)?, version: r.get(1)?, status: r.get(2)?, reason: r.get(3)? }),
    )
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::package_fixtures::{push, user};
    use crate::db::sql::testing::on_both_engines;

    #[test]
    fn scans_claims_and_status_changes_on_both_engines() {
        on_both_engines(|db| {
            let owner = db.tx(|tx| Ok(user(tx, "Alice"))).unwrap();
            let admin = db.tx(|tx| Ok(user(tx, "Root"))).unwrap();
            db.tx(|tx| tx.execute("UPDATE users SET is_admin = 1 WHERE id = ?1", values![admin])).unwrap();
            let (package, waiting) =
                db.tx(|tx| push(tx, "Acme", "1.0.0-beta", "", VersionStatus::Validating, owner)).unwrap();
            let (_, served) = db.tx(|tx| push(tx, "Acme", "2.0.0", "", VersionStatus::Available, owner)).unwrap();

            let t = db.tx(|tx| target(tx, "acme", "1.0.0-beta")).unwrap().unwrap();
            assert_eq!(
                (t.version_key, t.package_key, t.version.as_str(), t.pushed_by),
                (waiting, package, "1.0.0-beta", Some(owner))
            );
            let keys = |list: Vec<ScanTarget>| list.into_iter().map(|t| t.version_key).collect::<Vec<_>>();
            assert_eq!(keys(db.tx(|tx| available(tx, None)).unwrap()), [served]);
            assert_eq!(keys(db.tx(|tx| available(tx, Some("acme"))).unwrap()), [served]);
            assert!(db.tx(|tx| available(tx, Some("other"))).unwrap().is_empty());

            // One claim at a time until it expires; times are the clock's, compared as text.
            let now = db.clock.now();
            assert_eq!(keys(db.tx(|tx| due_validating(tx, now)).unwrap()), [waiting]);
            let until = now + chrono::Duration::minutes(5);
            assert!(db.tx(|tx| claim(tx, waiting, now, until)).unwrap());
            assert!(!db.tx(|tx| claim(tx, waiting, now, until)).unwrap(), "held by the first claim");
            assert!(db.tx(|tx| due_validating(tx, now)).unwrap().is_empty());
            assert!(!db.tx(|tx| claim(tx, served, now, until)).unwrap(), "only a validating version is claimed");
            db.tx(|tx| schedule_retry(tx, waiting, 2, until, "scanner down")).unwrap();
            let later = until + chrono::Duration::seconds(1);
            let due = db.tx(|tx| due_validating(tx, later)).unwrap();
            assert_eq!((due[0].version_key, due[0].scan_attempts), (waiting, 2));

            assert!(db.tx(|tx| mark_available(tx, waiting)).unwrap());
            assert!(!db.tx(|tx| mark_available(tx, waiting)).unwrap(), "no longer validating");
            db.tx(|tx| record_clean_scan(tx, waiting)).unwrap();
            assert!(db
                .tx(|tx| change_status(tx, served, VersionStatus::Available, VersionStatus::Quarantined, "malware"))
                .unwrap());
            assert!(!db
                .tx(|tx| change_status(tx, served, VersionStatus::Available, VersionStatus::Failed, "again"))
                .unwrap());
            let held = db.tx(|tx| held_versions(tx, 10)).unwrap();
            let shown: Vec<_> = held.iter().map(|h| (h.version.as_str(), h.status, h.reason.as_deref())).collect();
            assert_eq!(shown, [("2.0.0", VersionStatus::Quarantined, Some("malware"))]);

            // Only a failed version is removed to be pushed again.
            assert!(!db.tx(|tx| delete_failed(tx, package, "2.0.0")).unwrap());
            db.tx(|tx| change_status(tx, served, VersionStatus::Quarantined, VersionStatus::Failed, "bad")).unwrap();
            assert!(db.tx(|tx| delete_failed(tx, package, "2.0.0")).unwrap());
            assert!(db.tx(|tx| target(tx, "acme", "2.0.0")).unwrap().is_none());

            let names = |list: Vec<Recipient>| list.into_iter().map(|(name, _)| name).collect::<Vec<_>>();
            assert_eq!(names(db.tx(|tx| owner_recipients(tx, package)).unwrap()), ["Alice"]);
            assert_eq!(names(db.tx(|tx| admin_recipients(tx)).unwrap()), ["Root"]);
            db.tx(|tx| tx.execute("UPDATE users SET is_disabled = 1 WHERE id = ?1", values![owner])).unwrap();
            assert!(db.tx(|tx| user_recipient(tx, owner)).unwrap().is_empty(), "a disabled account is not told");
        });
    }
}

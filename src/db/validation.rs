//! Validation state of versions: what to scan, claims, outcomes, and who to tell.
use super::DbError;
use crate::domain::version_status::VersionStatus;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

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

fn target_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ScanTarget> {
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

pub fn target(conn: &Connection, id_lower: &str, version_lower: &str) -> Result<Option<ScanTarget>, DbError> {
    let sql = format!("{TARGET} WHERE p.id_lower = ?1 AND v.version_lower = ?2");
    Ok(conn.query_row(&sql, [id_lower, version_lower], target_from_row).optional()?)
}

/// Validating versions whose next scan is due at `now`, oldest first.
pub fn due_validating(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<ScanTarget>, DbError> {
    let sql = format!(
        "{TARGET} WHERE v.status = 'validating' AND (v.next_scan_at IS NULL OR v.next_scan_at <= ?1) ORDER BY v.id"
    );
    let rows = conn.prepare(&sql)?.query_map([time_text(now)], target_from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Available versions, of one id or all, for a rescan.
pub fn available(conn: &Connection, id_lower: Option<&str>) -> Result<Vec<ScanTarget>, DbError> {
    let sql =
        format!("{TARGET} WHERE v.status = 'available' AND (?1 IS NULL OR p.id_lower = ?1) ORDER BY p.id_lower, v.id");
    let rows = conn.prepare(&sql)?.query_map([id_lower], target_from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Takes a validating version for one scan until `until`, so the retry job and a background scan
/// (or two processes) never scan it at once. False when someone else holds it or it moved on.
pub fn claim(conn: &Connection, version_key: i64, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool, DbError> {
    let n = conn
        .prepare_cached(
            "UPDATE package_versions SET next_scan_at = ?3
         WHERE id = ?1 AND status = 'validating' AND (next_scan_at IS NULL OR next_scan_at <= ?2)",
        )?
        .execute(params![version_key, time_text(now), time_text(until)])?;
    Ok(n == 1)
}

/// Records a failed scan attempt of a validating version and when to try again.
pub fn schedule_retry(
    conn: &Connection,
    version_key: i64,
    attempts: u32,
    next: DateTime<Utc>,
    reason: &str,
) -> Result<(), DbError> {
    conn.prepare_cached(
        "UPDATE package_versions SET scan_attempts = ?2, next_scan_at = ?3, status_reason = ?4
         WHERE id = ?1 AND status = 'validating'",
    )?
    .execute(params![version_key, attempts, time_text(next), reason])?;
    Ok(())
}

/// Publishes a validating version: the moment it becomes visible is its publication time.
pub fn mark_available(conn: &Connection, version_key: i64) -> Result<bool, DbError> {
    let now = super::now_text(conn)?;
    let n = conn.prepare_cached("UPDATE package_versions SET status = 'available', status_reason = NULL, scanned_at = ?2, next_scan_at = NULL,
             published_at = ?2, last_edited_at = ?2
         WHERE id = ?1 AND status = 'validating'")?.execute(params![version_key, now])?;
    Ok(n == 1)
}

/// Moves a version from one status to another (validating → failed, available → quarantined);
/// false when it was no longer in `from`.
pub fn change_status(
    conn: &Connection,
    version_key: i64,
    from: VersionStatus,
    to: VersionStatus,
    reason: &str,
) -> Result<bool, DbError> {
    let n = conn
        .prepare_cached(
            "UPDATE package_versions SET status = ?3, status_reason = ?4, next_scan_at = NULL, last_edited_at = ?5
         WHERE id = ?1 AND status = ?2",
        )?
        .execute(params![version_key, from, to, reason, super::now_text(conn)?])?;
    Ok(n == 1)
}

pub fn record_clean_scan(conn: &Connection, version_key: i64) -> Result<(), DbError> {
    conn.prepare_cached("UPDATE package_versions SET scanned_at = ?2 WHERE id = ?1")?
        .execute(params![version_key, super::now_text(conn)?])?;
    Ok(())
}

/// Removes a version that failed validation so its number can be pushed again: it was never served.
pub fn delete_failed(conn: &Connection, package_key: i64, version_lower: &str) -> Result<bool, DbError> {
    let n = conn
        .prepare_cached(
            "DELETE FROM package_versions WHERE package_key = ?1 AND version_lower = ?2 AND status = 'failed'",
        )?
        .execute(params![package_key, version_lower])?;
    Ok(n == 1)
}

/// (username, email) of enabled accounts.
pub type Recipient = (String, String);

fn recipients(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Vec<Recipient>, DbError> {
    let rows = conn.prepare(sql)?.query_map(params, |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn owner_recipients(conn: &Connection, package_key: i64) -> Result<Vec<Recipient>, DbError> {
    recipients(
        conn,
        "SELECT u.username, u.email FROM package_owners o JOIN users u ON u.id = o.user_id
         WHERE o.package_key = ?1 AND u.is_disabled = 0 ORDER BY u.username_lower",
        [package_key],
    )
}

pub fn admin_recipients(conn: &Connection) -> Result<Vec<Recipient>, DbError> {
    recipients(
        conn,
        "SELECT username, email FROM users WHERE is_admin = 1 AND is_disabled = 0 ORDER BY username_lower",
        [],
    )
}

pub fn user_recipient(conn: &Connection, user_id: i64) -> Result<Vec<Recipient>, DbError> {
    recipients(conn, "SELECT username, email FROM users WHERE id = ?1 AND is_disabled = 0", [user_id])
}

/// A version that is not served, with why: the admin page's "scan results" list.
pub struct HeldVersion {
    pub package_id: String,
    pub version: String,
    pub status: VersionStatus,
    pub reason: Option<String>,
}

/// Versions that failed validation, are quarantined or still wait for their scan, newest first.
pub fn held_versions(conn: &Connection, limit: u32) -> Result<Vec<HeldVersion>, DbError> {
    let mut stmt = conn.prepare(
        "SELECT p.package_id, v.version_normalized, v.status, v.status_reason
         FROM package_versions v JOIN packages p ON p.id = v.package_key
         WHERE v.status IN ('failed', 'quarantined', 'validating')
         ORDER BY v.id DESC LIMIT ?1",
    )?;
    let rows = stmt
        .query_map([limit], |r| {
            Ok(HeldVersion { package_id: r.get(0)?, version: r.get(1)?, status: r.get(2)?, reason: r.get(3)? })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

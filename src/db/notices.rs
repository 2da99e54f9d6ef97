//! Deprecations (per version) and advisories (per id, by version range).
use super::sql::{Row, Sql};
use super::DbError;
use crate::domain::advisory::NewAdvisory;
use crate::domain::deprecation::Deprecation;
use crate::domain::records::{AdvisoryRecord, DeprecationRecord, VersionRecord, VulnerabilityRecord};
use crate::domain::version_range::VersionRange;
use crate::values;
use std::collections::HashMap;

/// The key of an available-or-not (but never hard-deleted) version.
pub fn version_key(db: &dyn Sql, package_key: i64, version_lower: &str) -> Result<Option<i64>, DbError> {
    db.query_optional(
        "SELECT id FROM package_versions WHERE package_key = ?1 AND version_lower = ?2 AND status <> 'deleted'",
        values![package_key, version_lower],
        |r| r.get(0),
    )
}

/// Sets (or replaces) the deprecation of a version.
pub fn set_deprecation(db: &dyn Sql, version_key: i64, d: &Deprecation, by: Option<i64>) -> Result<(), DbError> {
    let alternate = d.alternate.as_ref();
    db.execute(
        "INSERT INTO deprecations (version_key, reasons, message, alternate_id, alternate_range, deprecated_by, deprecated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (version_key) DO UPDATE SET reasons = ?2, message = ?3, alternate_id = ?4, alternate_range = ?5,
             deprecated_by = ?6, deprecated_at = ?7",
        values![
        version_key,
        d.reasons_text(),
        d.message.as_deref(),
        alternate.map(|a| a.id.as_str()),
        alternate.and_then(|a| a.range.as_ref()).map(VersionRange::to_normalized_string),
        by,
            db.now_text()?,
        ],
    )?;
    Ok(())
}

/// Removes a version's deprecation; false when it had none.
pub fn clear_deprecation(db: &dyn Sql, version_key: i64) -> Result<bool, DbError> {
    Ok(db.execute("DELETE FROM deprecations WHERE version_key = ?1", values![version_key])? == 1)
}

/// Fills in the deprecation and the matching advisories of every version of a package.
pub(super) fn attach(
    db: &dyn Sql,
    package_key: i64,
    id_lower: &str,
    versions: &mut [VersionRecord],
) -> Result<(), DbError> {
    let mut deprecations: HashMap<i64, DeprecationRecord> = db
        .query_map(
            "SELECT d.version_key, d.reasons, d.message, d.alternate_id, d.alternate_range
             FROM deprecations d JOIN package_versions v ON v.id = d.version_key WHERE v.package_key = ?1",
            values![package_key],
            |r| {
                let reasons: String = r.get(1)?;
                Ok((
                    r.get(0)?,
                    DeprecationRecord {
                        reasons: reasons.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                        message: r.get(2)?,
                        alternate_id: r.get(3)?,
                        alternate_range: r.get(4)?,
                    },
                ))
            },
        )?
        .into_iter()
        .collect();
    let advisories = advisories_of(db, id_lower)?;
    let ranges: Vec<(Option<VersionRange>, &AdvisoryRecord)> =
        advisories.iter().map(|a| (VersionRange::parse(&a.version_range).ok(), a)).collect();
    for v in versions.iter_mut() {
        v.deprecation = deprecations.remove(&v.key);
        let version = v.version();
        v.vulnerabilities = ranges
            .iter()
            .filter(|(range, _)| range.as_ref().is_some_and(|r| r.satisfies(&version)))
            .map(|(_, a)| VulnerabilityRecord { advisory_url: a.url.clone(), severity: a.severity })
            .collect();
    }
    Ok(())
}

const ADVISORY_COLUMNS: &str = "id, package_id, version_range, severity, url, created_at";

fn advisory_from_row(r: &Row) -> Result<AdvisoryRecord, DbError> {
    Ok(AdvisoryRecord {
        id: r.get(0)?,
        package_id: r.get(1)?,
        version_range: r.get(2)?,
        severity: r.get(3)?,
        url: r.get(4)?,
        created_at: r.get(5)?,
    })
}

/// The advisories of one id, oldest first.
pub fn advisories_of(db: &dyn Sql, id_lower: &str) -> Result<Vec<AdvisoryRecord>, DbError> {
    let sql = format!("SELECT {ADVISORY_COLUMNS} FROM advisories WHERE id_lower = ?1 ORDER BY id");
    db.query_map(&sql, values![id_lower], advisory_from_row)
}

/// Every advisory, by id then age.
pub fn all_advisories(db: &dyn Sql) -> Result<Vec<AdvisoryRecord>, DbError> {
    let sql = format!("SELECT {ADVISORY_COLUMNS} FROM advisories ORDER BY id_lower, id");
    db.query_map(&sql, values![], advisory_from_row)
}

/// Records an advisory; a UNIQUE violation (same id, range and URL) is the caller's 409.
pub fn insert_advisory(db: &dyn Sql, a: &NewAdvisory) -> Result<i64, DbError> {
    let id = db.query_row(
        "INSERT INTO advisories (package_id, id_lower, version_range, severity, url, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
        values![
            a.package_id.as_str(),
            a.package_id.lower(),
            a.range.to_normalized_string(),
            i64::from(a.severity.number()),
            a.url.as_str(),
            db.now_text()?,
        ],
        |r| r.get(0),
    )?;
    touch(db)?;
    Ok(id)
}

/// Removes an advisory, returning what it was.
pub fn delete_advisory(db: &dyn Sql, id: i64) -> Result<Option<AdvisoryRecord>, DbError> {
    let sql = format!("SELECT {ADVISORY_COLUMNS} FROM advisories WHERE id = ?1");
    let Some(row) = db.query_optional(&sql, values![id], advisory_from_row)? else {
        return Ok(None);
    };
    db.execute("DELETE FROM advisories WHERE id = ?1", values![id])?;
    touch(db)?;
    Ok(Some(row))
}

/// When the advisories last changed (the vulnerability index's `@updated`).
pub fn advisories_updated(db: &dyn Sql) -> Result<String, DbError> {
    db.query_row("SELECT updated_at FROM advisories_changed WHERE id = 1", values![], |r| r.get(0))
}

fn touch(db: &dyn Sql) -> Result<(), DbError> {
    db.execute("UPDATE advisories_changed SET updated_at = ?1 WHERE id = 1", values![db.now_text()?])?;
    Ok(())
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::on_both_engines;
    use crate::db::test_rows::{package, user, version};

    fn record(key: i64, full: &str) -> VersionRecord {
        VersionRecord { key, version_full: full.to_owned(), ..VersionRecord::default() }
    }

    #[test]
    fn deprecations_and_advisories_on_both_engines() {
        on_both_engines(|db| {
            let alice = db.tx(|tx| user(tx, "alice")).unwrap();
            let core = db.tx(|tx| package(tx, "Contoso.Core")).unwrap();
            let v1 = db.tx(|tx| version(tx, core, "1.0.0", "available", 10)).unwrap();
            let v2 = db.tx(|tx| version(tx, core, "2.0.0", "available", 10)).unwrap();
            db.tx(|tx| version(tx, core, "3.0.0", "deleted", 10)).unwrap();
            assert_eq!(db.tx(|tx| version_key(tx, core, "1.0.0")).unwrap(), Some(v1));
            assert_eq!(db.tx(|tx| version_key(tx, core, "3.0.0")).unwrap(), None, "a deleted version has none");

            let legacy =
                Deprecation::parse(&["Legacy"], Some("use Web"), Some("Contoso.Web"), Some("[2.0.0, )")).unwrap();
            let bugs = Deprecation::parse(&["CriticalBugs", "Other"], None, None, None).unwrap();
            db.tx(|tx| set_deprecation(tx, v1, &bugs, None)).unwrap();
            // Setting it again replaces the earlier one.
            db.tx(|tx| set_deprecation(tx, v1, &legacy, Some(alice))).unwrap();
            db.tx(|tx| set_deprecation(tx, v2, &bugs, Some(alice))).unwrap();
            assert!(db.tx(|tx| clear_deprecation(tx, v2)).unwrap());
            assert!(!db.tx(|tx| clear_deprecation(tx, v2)).unwrap());

            let updated_before = db.tx(advisories_updated).unwrap();
            let high = NewAdvisory::parse("Contoso.Core", "[1.0.0, 2.0.0)", "high", "https://example.com/a/1").unwrap();
            let low = NewAdvisory::parse("contoso.core", "[2.0.0, )", "low", "https://example.com/a/2").unwrap();
            let first = db.tx(|tx| insert_advisory(tx, &high)).unwrap();
            let second = db.tx(|tx| insert_advisory(tx, &low)).unwrap();
            assert_ne!(db.tx(advisories_updated).unwrap(), updated_before);
            // The same id, range and URL again is refused, and nothing is stored.
            let twice = db.tx(|tx| insert_advisory(tx, &high)).unwrap_err();
            assert!(twice.is_unique_violation(), "{twice}");
            let of_core = db.tx(|tx| advisories_of(tx, "contoso.core")).unwrap();
            assert_eq!(of_core.iter().map(|a| (a.id, a.severity)).collect::<Vec<_>>(), [(first, 2), (second, 0)]);
            assert_eq!(db.tx(all_advisories).unwrap().len(), 2);

            let mut versions = [record(v1, "1.0.0"), record(v2, "2.0.0")];
            db.tx(|tx| attach(tx, core, "contoso.core", &mut versions)).unwrap();
            let deprecation = versions[0].deprecation.clone().unwrap();
            assert_eq!(deprecation.reasons, ["Legacy"]);
            assert_eq!(deprecation.message.as_deref(), Some("use Web"));
            assert_eq!(deprecation.alternate_id.as_deref(), Some("Contoso.Web"));
            assert!(versions[1].deprecation.is_none());
            let urls = |v: &VersionRecord| v.vulnerabilities.iter().map(|x| x.advisory_url.clone()).collect::<Vec<_>>();
            assert_eq!(urls(&versions[0]), ["https://example.com/a/1"]);
            assert_eq!(urls(&versions[1]), ["https://example.com/a/2"]);

            let removed = db.tx(|tx| delete_advisory(tx, first)).unwrap().unwrap();
            assert_eq!(removed.url, "https://example.com/a/1");
            assert!(db.tx(|tx| delete_advisory(tx, first)).unwrap().is_none());
            assert_eq!(db.tx(all_advisories).unwrap().len(), 1);
        });
    }
}

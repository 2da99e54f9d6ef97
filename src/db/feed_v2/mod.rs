//! Queries of the v2 (OData) feed: select one page of id+version rows under a condition and an
//! order, count them, then load only the entries of that page.
//!
//! `IsLatestVersion`/`IsAbsoluteLatestVersion` are computed in SQL with a window over the
//! versions in scope, ordered by `nuget_version_key` (see `version_order.rs`); nothing loads every
//! package to answer a listing.
//!
//! Written once for both engines (`db::sql`); the one per-engine statement is `Search()`'s
//! full-text join (`full_text.rs`).
mod condition;
#[cfg(test)]
mod engines;
mod full_text;

pub use condition::{BoolColumn, Case, Condition, IntColumn, IntOp, OrderKey, TextColumn, TextOp};

use super::owners::owner_names;
use super::packages::{dependency_groups, VERSION_COLUMNS};
use super::sql::Sql;
use super::version_order::FUNCTION as VERSION_KEY;
use super::DbError;
use crate::domain::records::EntryRecord;
use condition::Builder;
use std::collections::HashMap;

/// One listing: which rows, in which order.
#[derive(Debug, Clone)]
pub struct VersionQuery<'a> {
    pub semver2: bool,
    /// FTS5 MATCH expression over the search index (the v2 `Search()`), from
    /// `ParsedQuery::fts_expression`; PostgreSQL gets the same words as a tsquery (`full_text.rs`).
    pub fts: Option<&'a str>,
    pub condition: &'a Condition,
    /// (key, descending).
    pub order: &'a [(OrderKey, bool)],
}

/// A selected row: enough to page, filter by version in Rust (`GetUpdates()`) and load it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub key: i64,
    pub id_lower: String,
    pub version_full: String,
}

/// Joins and conditions every row of a listing shares (also inside the flags window, so
/// "latest" is computed among the same versions).
fn scope(sql: &mut Builder, q: &VersionQuery<'_>) -> Result<(String, String), DbError> {
    let join = match q.fts {
        Some(expr) => full_text::join(sql, expr)?,
        None => String::new(),
    };
    let semver = if q.semver2 { "" } else { " AND v.is_semver2 = 0" };
    Ok((join, format!("v.status = 'available'{semver}")))
}

/// The window that marks each version in scope as an id's latest stable / latest overall
/// (listed versions only, by NuGet version order). The flags are 0 / 1 integers on both engines
/// (a CASE, since PostgreSQL's comparisons are booleans); the derived table is named, as
/// PostgreSQL before 16 requires.
fn flags_cte(join: &str, scope: &str) -> String {
    format!(
        "WITH flags AS (
            SELECT id,
                CASE WHEN listed = 1 AND is_prerelease = 0 AND sk = max(CASE WHEN listed = 1 AND is_prerelease = 0 THEN sk END) OVER w THEN 1 ELSE 0 END AS is_latest,
                CASE WHEN listed = 1 AND sk = max(CASE WHEN listed = 1 THEN sk END) OVER w THEN 1 ELSE 0 END AS is_absolute_latest
            FROM (SELECT v.id, v.package_key, v.listed, v.is_prerelease, {VERSION_KEY}(v.version_full) AS sk
                  FROM package_versions v JOIN packages p ON p.id = v.package_key{join} WHERE {scope}) in_scope
            WINDOW w AS (PARTITION BY package_key)
        ) "
    )
}

/// The FROM … WHERE … part shared by `select` and `count`.
fn from_where(sql: &mut Builder, q: &VersionQuery<'_>) -> Result<String, DbError> {
    let (join, scope) = scope(sql, q)?;
    let flags = q.condition.needs_flags();
    let cte = if flags {
        // Conditions on the package alone (`tolower(Id) eq 'x'`) narrow the window to the ids
        // they admit; the flags of those ids' versions are the same either way.
        let mut narrowing = scope.clone();
        for c in q.condition.package_conjuncts() {
            narrowing.push_str(" AND ");
            narrowing.push_str(&sql.condition(c));
        }
        flags_cte(&join, &narrowing)
    } else {
        String::new()
    };
    let condition = sql.condition(q.condition);
    let flags_join = if flags { " JOIN flags f ON f.id = v.id" } else { "" };
    Ok(format!("{cte}SELECT {{columns}} FROM package_versions v JOIN packages p ON p.id = v.package_key{join}{flags_join} WHERE {scope} AND {condition}"))
}

/// One page of rows (all of them when `limit` is `None`).
pub fn select(db: &dyn Sql, q: &VersionQuery<'_>, skip: usize, limit: Option<usize>) -> Result<Vec<Hit>, DbError> {
    let mut sql = Builder::new(db.engine());
    let base = from_where(&mut sql, q)?.replace("{columns}", "v.id, p.id_lower, v.version_full");
    let order = sql.order(q.order, q.fts.is_some());
    // No limit is the largest one: PostgreSQL refuses SQLite's -1.
    let limit = sql.arg(limit.map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX)));
    let offset = sql.arg(i64::try_from(skip).unwrap_or(i64::MAX));
    let text = format!("{base} ORDER BY {order} LIMIT {limit} OFFSET {offset}");
    db.query_map(&text, &sql.args, |r| Ok(Hit { key: r.get(0)?, id_lower: r.get(1)?, version_full: r.get(2)? }))
}

/// How many rows the query has.
pub fn count(db: &dyn Sql, q: &VersionQuery<'_>) -> Result<usize, DbError> {
    let mut sql = Builder::new(db.engine());
    let text = from_where(&mut sql, q)?.replace("{columns}", "count(*)");
    let n: i64 = db.query_row(&text, &sql.args, |r| r.get(0))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The entries for `keys`, in that order, with their latest flags computed among the available
/// versions of their ids (SemVer 1.0 ones only unless `semver2`).
pub fn load_entries(db: &dyn Sql, keys: &[i64], semver2: bool) -> Result<Vec<EntryRecord>, DbError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Builder::new(db.engine());
    let list: Vec<String> = keys.iter().map(|k| sql.arg(*k)).collect();
    let list = list.join(", ");
    let semver = if semver2 { "" } else { " AND v.is_semver2 = 0" };
    let scope = format!("v.status = 'available'{semver} AND v.package_key IN (SELECT package_key FROM package_versions WHERE id IN ({list}))");
    let text = format!(
        "{} SELECT {VERSION_COLUMNS}, v.package_key, p.id_lower, p.total_downloads, coalesce(f.is_latest, 0), coalesce(f.is_absolute_latest, 0)
         FROM package_versions v JOIN packages p ON p.id = v.package_key LEFT JOIN flags f ON f.id = v.id
         WHERE v.id IN ({list})",
        flags_cte("", &scope)
    );
    let rows = db.query_map(&text, &sql.args, |r| {
        Ok((super::packages::version_from(r)?, r.get(38)?, r.get::<String>(39)?, r.get(40)?, r.get(41)?, r.get(42)?))
    })?;
    let mut owners: HashMap<i64, Vec<String>> = HashMap::new();
    let mut by_key: HashMap<i64, EntryRecord> = HashMap::with_capacity(rows.len());
    for (mut version, package_key, id_lower, total_downloads, is_latest, is_absolute_latest) in rows {
        version.dependency_groups = dependency_groups(db, version.key)?;
        if let std::collections::hash_map::Entry::Vacant(slot) = owners.entry(package_key) {
            slot.insert(owner_names(db, package_key)?);
        }
        let entry = EntryRecord {
            owners: owners.get(&package_key).cloned().unwrap_or_default(),
            version,
            id_lower,
            total_downloads,
            is_latest,
            is_absolute_latest,
        };
        by_key.insert(entry.version.key, entry);
    }
    Ok(keys.iter().filter_map(|k| by_key.remove(k)).collect())
}

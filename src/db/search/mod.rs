//! The search index (one row per id in `package_search`: FTS5 on SQLite, a generated `tsvector`
//! on PostgreSQL), kept in step with every change, and what the in-memory index reads from it.
//! The query itself, the one place with a statement per engine, is in `query.rs`.
use super::sql::{Row, Sql};
use super::DbError;
use crate::search::index::{id_words, IndexDoc};
use crate::values;

#[cfg(test)]
mod engines;
mod query;

pub use query::{autocomplete_ids, search};

/// Bits of `packages.search_visibility`: which client views see at least one listed version.
pub mod visibility {
    pub const STABLE_SEMVER1: i64 = 1;
    pub const ANY_SEMVER1: i64 = 2;
    pub const STABLE_SEMVER2: i64 = 4;
    pub const ANY_SEMVER2: i64 = 8;

    /// The bit a query with these flags needs.
    pub fn required(prerelease: bool, semver2: bool) -> i64 {
        match (prerelease, semver2) {
            (false, false) => STABLE_SEMVER1,
            (true, false) => ANY_SEMVER1,
            (false, true) => STABLE_SEMVER2,
            (true, true) => ANY_SEMVER2,
        }
    }

    /// The bits one listed available version contributes.
    pub fn of_version(is_prerelease: bool, is_semver2: bool) -> i64 {
        let mut bits = ANY_SEMVER2;
        if !is_prerelease {
            bits |= STABLE_SEMVER2;
        }
        if !is_semver2 {
            bits |= ANY_SEMVER1;
            if !is_prerelease {
                bits |= STABLE_SEMVER1;
            }
        }
        bits
    }
}

/// The SQL form of `VersionRecord::in_public_lists` (listed and available: what search shows
/// anyone) for the version row aliased `v`; the one place the search queries spell it.
pub(super) fn in_public_lists(v: &str) -> String {
    format!("{v}.status = '{}' AND {v}.listed = 1", crate::domain::version_status::VersionStatus::Available.as_str())
}

/// The text of one version that goes into the index.
struct SearchText {
    package_id: String,
    version: String,
    is_prerelease: bool,
    is_semver2: bool,
    title: Option<String>,
    summary: Option<String>,
    description: String,
    tags: String,
    authors: String,
}

/// Re-indexes one package from its newest available listed version; removes it when it has none.
/// Called inside the transaction of every change, so search never lags the feed.
pub fn reindex_package(db: &dyn Sql, package_key: i64) -> Result<(), DbError> {
    db.execute("DELETE FROM package_search WHERE rowid = ?1", values![package_key])?;
    note_change(db, package_key)?;
    let sql = format!(
        "SELECT p.package_id, v.version_full, v.title, v.summary, v.description, v.tags, v.authors, v.is_prerelease, v.is_semver2
         FROM package_versions v JOIN packages p ON p.id = v.package_key
         WHERE v.package_key = ?1 AND {}",
        in_public_lists("v")
    );
    let rows: Vec<SearchText> = db.query_map(&sql, values![package_key], |r| {
        Ok(SearchText {
            package_id: r.get(0)?,
            version: r.get(1)?,
            title: r.get(2)?,
            summary: r.get(3)?,
            description: r.get(4)?,
            tags: r.get(5)?,
            authors: r.get(6)?,
            is_prerelease: r.get(7)?,
            is_semver2: r.get(8)?,
        })
    })?;
    let bits = rows.iter().fold(0, |bits, row| bits | visibility::of_version(row.is_prerelease, row.is_semver2));
    db.execute("UPDATE packages SET search_visibility = ?2 WHERE id = ?1", values![package_key, bits])?;
    let newest =
        rows.into_iter().max_by_cached_key(|row| crate::domain::version::NuGetVersion::parse(&row.version).ok());
    let Some(SearchText { package_id, title, summary, description, tags, authors, .. }) = newest else {
        return Ok(());
    };
    let owners = super::owners::owner_names(db, package_key)?.join(" ");
    let id_parts = id_words(&package_id);
    db.execute(
        "INSERT INTO package_search (rowid, package_id, id_parts, title, summary, description, tags, authors, owners)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        values![package_key, package_id, id_parts, title, summary, description, tags, authors, owners],
    )?;
    Ok(())
}

trait MaxByCachedKey: Iterator + Sized {
    fn max_by_cached_key<K: Ord>(self, f: impl Fn(&Self::Item) -> K) -> Option<Self::Item> {
        self.map(|item| (f(&item), item)).max_by(|a, b| a.0.cmp(&b.0)).map(|(_, item)| item)
    }
}
impl<I: Iterator> MaxByCachedKey for I {}

/// Marks every cached search answer out of date. Runs inside the transaction of the change, so
/// no reader can see the new data under the old generation.
pub fn bump_generation(db: &dyn Sql) -> Result<(), DbError> {
    db.execute("UPDATE search_generation SET value = value + 1 WHERE id = 1", values![])?;
    Ok(())
}

/// Bumps the generation and records that this package's search row, visibility or downloads
/// changed at it, so in-memory indexes (`cache::search_index`) re-read just this package.
pub fn note_change(db: &dyn Sql, package_key: i64) -> Result<(), DbError> {
    bump_generation(db)?;
    db.execute(
        "INSERT INTO search_changes (package_key, generation) VALUES (?1, (SELECT value FROM search_generation WHERE id = 1))
         ON CONFLICT (package_key) DO UPDATE SET generation = excluded.generation",
        values![package_key],
    )?;
    Ok(())
}

/// `note_change` for the package with this id (download counts are flushed by id).
pub fn note_change_by_id(db: &dyn Sql, id_lower: &str) -> Result<(), DbError> {
    let key: Option<i64> =
        db.query_optional("SELECT id FROM packages WHERE id_lower = ?1", values![id_lower], |r| r.get(0))?;
    match key {
        Some(key) => note_change(db, key),
        None => Ok(()),
    }
}

/// A package as an in-memory index should now hold it.
pub enum IndexChange {
    Present(Box<IndexDoc>),
    Absent(i64),
}

const INDEX_COLUMNS: &str = "p.id, p.id_lower, p.search_visibility, p.total_downloads,
    s.package_id, s.id_parts, s.title, s.summary, s.description, s.tags, s.authors, s.owners";

/// The document whose `INDEX_COLUMNS` start at column `at` of the row.
fn index_doc(r: &Row, at: usize) -> Result<IndexDoc, DbError> {
    let text = |i: usize| -> Result<String, DbError> { Ok(r.get::<Option<String>>(at + i)?.unwrap_or_default()) };
    Ok(IndexDoc {
        key: r.get(at)?,
        id_lower: r.get(at + 1)?,
        visibility: r.get(at + 2)?,
        downloads: r.get(at + 3)?,
        columns: [text(4)?, text(5)?, text(6)?, text(7)?, text(8)?, text(9)?, text(10)?, text(11)?],
    })
}

/// The generation and every indexed package, in one read (call inside a transaction or on a
/// connection no one writes through meanwhile: start-up).
pub fn index_docs(db: &dyn Sql) -> Result<(i64, Vec<IndexDoc>), DbError> {
    let generation = generation(db)?;
    let sql = format!("SELECT {INDEX_COLUMNS} FROM package_search s JOIN packages p ON p.id = s.rowid");
    let docs = db.query_map(&sql, values![], |r| index_doc(r, 0))?;
    Ok((generation, docs))
}

/// Every package recorded by `note_change` after `generation`, as it is now.
pub fn changed_since(db: &dyn Sql, generation: i64) -> Result<Vec<IndexChange>, DbError> {
    let sql = format!(
        "SELECT c.package_key, s.rowid IS NOT NULL AND p.id IS NOT NULL, {INDEX_COLUMNS}
         FROM search_changes c LEFT JOIN packages p ON p.id = c.package_key
         LEFT JOIN package_search s ON s.rowid = c.package_key
         WHERE c.generation > ?1"
    );
    db.query_map(&sql, values![generation], |r| {
        let key: i64 = r.get(0)?;
        if !r.get::<bool>(1)? {
            return Ok(IndexChange::Absent(key));
        }
        // The document's columns start after the key and the presence flag.
        Ok(IndexChange::Present(Box::new(index_doc(r, 2)?)))
    })
}

/// The generation search answers computed now belong to (see `bump_generation`).
pub fn generation(db: &dyn Sql) -> Result<i64, DbError> {
    db.query_row("SELECT value FROM search_generation WHERE id = 1", values![], |r| r.get(0))
}

/// The ids of every package, for rebuilding the index in batches.
pub fn all_package_keys(db: &dyn Sql) -> Result<Vec<i64>, DbError> {
    db.query_map("SELECT id FROM packages ORDER BY id", values![], |r| r.get(0))
}

/// Rebuilds the index rows of these packages from the database; returns how many differed
/// (drift repaired). Meant for a batch of ids per transaction, so a rebuild of a large feed never
/// holds the write lock for long.
pub fn rebuild_packages(db: &dyn Sql, keys: &[i64]) -> Result<usize, DbError> {
    let mut changed = 0;
    for &key in keys {
        let before = indexed_text(db, key)?;
        reindex_package(db, key)?;
        if indexed_text(db, key)? != before {
            changed += 1;
        }
    }
    Ok(changed)
}

/// Removes index rows whose package is gone; returns how many.
pub fn remove_orphans(db: &dyn Sql) -> Result<usize, DbError> {
    let orphans: Vec<i64> = db.query_map(
        "SELECT rowid FROM package_search WHERE rowid NOT IN (SELECT id FROM packages)",
        values![],
        |r| r.get(0),
    )?;
    for &key in &orphans {
        note_change(db, key)?;
    }
    db.execute("DELETE FROM package_search WHERE rowid NOT IN (SELECT id FROM packages)", values![])?;
    Ok(orphans.len())
}

/// What the index holds for a package, to compare before and after a rebuild.
fn indexed_text(db: &dyn Sql, key: i64) -> Result<Option<String>, DbError> {
    // The visibility is cast to text: PostgreSQL joins text and a number only by an explicit cast.
    db.query_optional(
        "SELECT s.package_id || '|' || coalesce(s.description, '') || '|' || s.tags || '|' || s.owners || '|'
                || CAST(p.search_visibility AS TEXT)
         FROM package_search s JOIN packages p ON p.id = s.rowid WHERE s.rowid = ?1",
        values![key],
        |r| r.get(0),
    )
}

/// True when the package has its row in the index: the portal warns when a visible package has
/// none, which would mean an index out of step with the versions.
pub fn is_indexed(db: &dyn Sql, package_key: i64) -> Result<bool, DbError> {
    Ok(db.query_optional("SELECT 1 FROM package_search WHERE rowid = ?1", values![package_key], |_| Ok(()))?.is_some())
}

#[cfg(test)]
mod tests {
    #[test]
    fn visibility_bits_follow_the_client_views() {
        use super::visibility::{of_version, required};
        let stable = of_version(false, false);
        let prerelease = of_version(true, false);
        let semver2_prerelease = of_version(true, true);
        assert_ne!(stable & required(false, false), 0);
        assert_eq!(prerelease & required(false, false), 0);
        assert_ne!(prerelease & required(true, false), 0);
        assert_eq!(semver2_prerelease & required(true, false), 0);
        assert_eq!(semver2_prerelease & required(false, true), 0);
        assert_ne!(semver2_prerelease & required(true, true), 0);
        assert_ne!(of_version(false, true) & required(false, true), 0);
    }
}

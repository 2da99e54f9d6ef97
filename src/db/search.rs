//! The FTS5 search index and the search query itself.
use super::DbError;
use crate::search::index::{id_words, IndexDoc};
use crate::search::query::{Filter, ParsedQuery, SortOrder};
use rusqlite::{params_from_iter, Connection, ToSql};

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
fn in_public_lists(v: &str) -> String {
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
pub fn reindex_package(conn: &Connection, package_key: i64) -> Result<(), DbError> {
    conn.prepare_cached("DELETE FROM package_search WHERE rowid = ?1")?.execute([package_key])?;
    note_change(conn, package_key)?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT p.package_id, v.version_full, v.title, v.summary, v.description, v.tags, v.authors, v.is_prerelease, v.is_semver2
         FROM package_versions v JOIN packages p ON p.id = v.package_key
         WHERE v.package_key = ?1 AND {}",
        in_public_lists("v")
    ))?;
    let rows: Vec<SearchText> = stmt
        .query_map([package_key], |r| {
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
        })?
        .collect::<Result<_, _>>()?;
    let bits = rows.iter().fold(0, |bits, row| bits | visibility::of_version(row.is_prerelease, row.is_semver2));
    conn.prepare_cached("UPDATE packages SET search_visibility = ?2 WHERE id = ?1")?.execute([package_key, bits])?;
    let newest =
        rows.into_iter().max_by_cached_key(|row| crate::domain::version::NuGetVersion::parse(&row.version).ok());
    let Some(SearchText { package_id, title, summary, description, tags, authors, .. }) = newest else {
        return Ok(());
    };
    let owners = super::owners::owner_names(conn, package_key)?.join(" ");
    conn.prepare_cached(
        "INSERT INTO package_search (rowid, package_id, id_parts, title, summary, description, tags, authors, owners)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(rusqlite::params![
        package_key,
        package_id,
        id_words(&package_id),
        title,
        summary,
        description,
        tags,
        authors,
        owners
    ])?;
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
pub fn bump_generation(conn: &Connection) -> Result<(), DbError> {
    conn.prepare_cached("UPDATE search_generation SET value = value + 1 WHERE id = 1")?.execute([])?;
    Ok(())
}

/// Bumps the generation and records that this package's search row, visibility or downloads
/// changed at it, so in-memory indexes (`cache::search_index`) re-read just this package.
pub fn note_change(conn: &Connection, package_key: i64) -> Result<(), DbError> {
    bump_generation(conn)?;
    conn.prepare_cached(
        "INSERT INTO search_changes (package_key, generation) VALUES (?1, (SELECT value FROM search_generation WHERE id = 1))
         ON CONFLICT (package_key) DO UPDATE SET generation = excluded.generation",
    )?
    .execute([package_key])?;
    Ok(())
}

/// `note_change` for the package with this id (download counts are flushed by id).
pub fn note_change_by_id(conn: &Connection, id_lower: &str) -> Result<(), DbError> {
    use rusqlite::OptionalExtension;
    let key: Option<i64> = conn
        .prepare_cached("SELECT id FROM packages WHERE id_lower = ?1")?
        .query_row([id_lower], |r| r.get(0))
        .optional()?;
    match key {
        Some(key) => note_change(conn, key),
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

fn index_doc(r: &rusqlite::Row<'_>) -> rusqlite::Result<IndexDoc> {
    let text = |i: usize| -> rusqlite::Result<String> { Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default()) };
    Ok(IndexDoc {
        key: r.get(0)?,
        id_lower: r.get(1)?,
        visibility: r.get(2)?,
        downloads: r.get(3)?,
        columns: [text(4)?, text(5)?, text(6)?, text(7)?, text(8)?, text(9)?, text(10)?, text(11)?],
    })
}

/// The generation and every indexed package, in one read (call inside a transaction or on a
/// connection no one writes through meanwhile: start-up).
pub fn index_docs(conn: &Connection) -> Result<(i64, Vec<IndexDoc>), DbError> {
    let generation = generation(conn)?;
    let docs = conn
        .prepare(&format!("SELECT {INDEX_COLUMNS} FROM package_search s JOIN packages p ON p.id = s.rowid"))?
        .query_map([], index_doc)?
        .collect::<Result<_, _>>()?;
    Ok((generation, docs))
}

/// Every package recorded by `note_change` after `generation`, as it is now.
pub fn changed_since(conn: &Connection, generation: i64) -> Result<Vec<IndexChange>, DbError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT c.package_key, s.rowid IS NOT NULL AND p.id IS NOT NULL, {INDEX_COLUMNS}
         FROM search_changes c LEFT JOIN packages p ON p.id = c.package_key
         LEFT JOIN package_search s ON s.rowid = c.package_key
         WHERE c.generation > ?1"
    ))?;
    let changes = stmt
        .query_map([generation], |r| {
            let key: i64 = r.get(0)?;
            if !r.get::<_, bool>(1)? {
                return Ok(IndexChange::Absent(key));
            }
            // The document's columns start after the key and the presence flag.
            let doc = IndexDoc {
                key,
                id_lower: r.get(3)?,
                visibility: r.get(4)?,
                downloads: r.get(5)?,
                columns: std::array::from_fn(|i| r.get::<_, Option<String>>(6 + i).ok().flatten().unwrap_or_default()),
            };
            Ok(IndexChange::Present(Box::new(doc)))
        })?
        .collect::<Result<_, _>>()?;
    Ok(changes)
}

/// The generation search answers computed now belong to (see `bump_generation`).
pub fn generation(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn.prepare_cached("SELECT value FROM search_generation WHERE id = 1")?.query_row([], |r| r.get(0))?)
}

/// The ids of every package, for rebuilding the index in batches.
pub fn all_package_keys(conn: &Connection) -> Result<Vec<i64>, DbError> {
    let keys =
        conn.prepare("SELECT id FROM packages ORDER BY id")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(keys)
}

/// Rebuilds the index rows of these packages from the database; returns how many differed
/// (drift repaired). Meant for a batch of ids per transaction, so a rebuild of a large feed never
/// holds the write lock for long.
pub fn rebuild_packages(conn: &Connection, keys: &[i64]) -> Result<usize, DbError> {
    let mut changed = 0;
    for &key in keys {
        let before = indexed_text(conn, key)?;
        reindex_package(conn, key)?;
        if indexed_text(conn, key)? != before {
            changed += 1;
        }
    }
    Ok(changed)
}

/// Removes index rows whose package is gone; returns how many.
pub fn remove_orphans(conn: &Connection) -> Result<usize, DbError> {
    let orphans: Vec<i64> = conn
        .prepare_cached("SELECT rowid FROM package_search WHERE rowid NOT IN (SELECT id FROM packages)")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for key in orphans {
        note_change(conn, key)?;
    }
    let n =
        conn.prepare_cached("DELETE FROM package_search WHERE rowid NOT IN (SELECT id FROM packages)")?.execute([])?;
    Ok(n)
}

/// What the index holds for a package, to compare before and after a rebuild.
fn indexed_text(conn: &Connection, key: i64) -> Result<Option<String>, DbError> {
    use rusqlite::OptionalExtension;
    let mut stmt = conn.prepare_cached(
        "SELECT s.package_id || '|' || coalesce(s.description, '') || '|' || s.tags || '|' || s.owners || '|' || p.search_visibility
         FROM package_search s JOIN packages p ON p.id = s.rowid WHERE s.rowid = ?1",
    )?;
    Ok(stmt.query_row([key], |r| r.get(0)).optional()?)
}

/// Ids (lowercase) matching the query, best first, and the total number of matches.
pub fn search(conn: &Connection, q: &ParsedQuery) -> Result<(usize, Vec<String>), DbError> {
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    let mut conditions =
        vec![format!("p.search_visibility & {} != 0", visibility::required(q.include_prerelease, q.include_semver2))];
    if let Some(t) = &q.package_type {
        args.push(Box::new(format!("%\"name\":\"{}\"%", t.to_ascii_lowercase())));
        let n = args.len();
        let types = if t.eq_ignore_ascii_case("dependency") {
            format!("(v.package_types = '[]' OR lower(v.package_types) LIKE ?{n})")
        } else {
            format!("lower(v.package_types) LIKE ?{n}")
        };
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM package_versions v WHERE v.package_key = p.id AND {} AND {types})",
            in_public_lists("v")
        ));
    }
    for filter in &q.filters {
        match filter {
            Filter::ExactId(id) => {
                args.push(Box::new(id.to_ascii_lowercase()));
                conditions.push(format!("p.id_lower = ?{}", args.len()));
            }
            Filter::Version(version) => {
                args.push(Box::new(version.to_ascii_lowercase()));
                conditions.push(format!(
                    "EXISTS (SELECT 1 FROM package_versions v2 WHERE v2.package_key = p.id AND v2.version_lower = ?{} AND {})",
                    args.len(),
                    in_public_lists("v2")
                ));
            }
        }
    }
    let fts = q.fts_expression();
    if let Some(expr) = &fts {
        args.push(Box::new(expr.clone()));
        conditions.push(format!("package_search MATCH ?{}", args.len()));
    }
    let where_clause = conditions.join(" AND ");
    // The count uses exactly the arguments of the WHERE clause; ordering and paging come after.
    let count_args = args.len();
    // Without words to match, the visibility bits in `packages` decide alone (an id with no listed
    // version has none set), so the browse listing never touches the text index.
    let from = if fts.is_some() { "package_search s JOIN packages p ON p.id = s.rowid" } else { "packages p" };
    let order = match q.sort {
        SortOrder::Relevance if fts.is_some() => {
            args.push(Box::new(q.raw_lower.clone()));
            // An exact id match always comes first; then bm25 with the id columns weighted highest.
            format!("(p.id_lower = ?{}) DESC, bm25(package_search, 10.0, 8.0, 5.0, 2.0, 1.0, 3.0, 2.0, 2.0), p.total_downloads DESC, p.id_lower", args.len())
        }
        SortOrder::Relevance | SortOrder::Downloads => "p.total_downloads DESC, p.id_lower".to_owned(),
        // A subquery per match rather than a stored column: it reads the few version rows of one
        // id through the (package_key, version_lower) index and needs no schema change.
        SortOrder::Recent => format!(
            "(SELECT max(v.published_at) FROM package_versions v WHERE v.package_key = p.id AND {}) DESC, p.id_lower",
            in_public_lists("v")
        ),
    };
    let count_sql = format!("SELECT count(*) FROM {from} WHERE {where_clause}");
    let total: i64 =
        conn.prepare_cached(&count_sql)?.query_row(params_from_iter(args[..count_args].iter()), |r| r.get(0))?;
    args.push(Box::new(i64::try_from(q.take).unwrap_or(i64::MAX)));
    let take_arg = args.len();
    args.push(Box::new(i64::try_from(q.skip).unwrap_or(i64::MAX)));
    let skip_arg = args.len();
    let sql = format!(
        "SELECT p.id_lower FROM {from} WHERE {where_clause} ORDER BY {order} LIMIT ?{take_arg} OFFSET ?{skip_arg}"
    );
    let ids =
        conn.prepare_cached(&sql)?.query_map(params_from_iter(args.iter()), |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok((usize::try_from(total).unwrap_or(0), ids))
}

/// Ids starting with `prefix` (case-insensitive) that have a version visible under the flags.
pub fn autocomplete_ids(
    conn: &Connection,
    prefix: &str,
    skip: usize,
    take: usize,
    prerelease: bool,
    semver2: bool,
) -> Result<(usize, Vec<String>), DbError> {
    let visible = format!("search_visibility & {} != 0", visibility::required(prerelease, semver2));
    // A range on the unique index instead of LIKE (which cannot use it): '~' sorts after every
    // character an id may contain.
    let low = prefix.to_ascii_lowercase();
    let high = format!("{low}~");
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM packages WHERE id_lower >= ?1 AND id_lower < ?2 AND {visible}"))?
        .query_row([&low, &high], |r| r.get(0))?;
    let sql = format!(
        "SELECT package_id FROM packages
         WHERE id_lower >= ?1 AND id_lower < ?2 AND {visible}
         ORDER BY total_downloads DESC, id_lower LIMIT ?3 OFFSET ?4"
    );
    let ids = conn
        .prepare_cached(&sql)?
        .query_map(
            rusqlite::params![
                low,
                high,
                i64::try_from(take).unwrap_or(i64::MAX),
                i64::try_from(skip).unwrap_or(i64::MAX)
            ],
            |r| r.get(0),
        )?
        .collect::<Result<_, _>>()?;
    Ok((usize::try_from(total).unwrap_or(0), ids))
}

/// True when the package has its row in the index: the portal warns when a visible package has
/// none, which would mean an index out of step with the versions.
pub fn is_indexed(conn: &Connection, package_key: i64) -> Result<bool, DbError> {
    let mut stmt = conn.prepare_cached("SELECT 1 FROM package_search WHERE rowid = ?1")?;
    Ok(stmt.exists([package_key])?)
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

//! The in-memory search index of this process, kept at the database's search generation.
//!
//! Every change to what search shows (a push, a delete, an unlist or relist, an owner change, a
//! download-count flush) bumps the generation and records the package in `search_changes`, in the
//! change's own transaction. A search first brings the index up to the generation its read sees,
//! applying only the packages recorded since: so a pushed package is found by the first search
//! after its commit (before its 201 is sent), also when another process (`galley reindex`) made
//! the change, and the database stays the one truth the index is rebuilt from at start-up.
use super::search_entries::SearchEntries;
use crate::db::sql::Sql;
use crate::db::{self, DbError};
use crate::domain::search_entry::SearchEntry;
use crate::search::index::SearchIndex;
use crate::search::query::ParsedQuery;
use std::sync::{Arc, PoisonError, RwLock};

/// A search hit: the id (lowercase) and its entry (`None` only for an id no search shows, which
/// a hit is not).
pub type Hit = (String, Option<Arc<SearchEntry>>);

/// Empty until first used (or `warm`ed by the server at start), so CLI commands that open the
/// state never pay for it.
pub struct LiveSearchIndex {
    inner: RwLock<Option<Inner>>,
    /// `[cache] search_mb` in bytes: how much of the entries is held (`SearchEntries`).
    entries_budget: u64,
}

/// Every entry held: for tests and tools that do not read `[cache]`.
impl Default for LiveSearchIndex {
    fn default() -> Self {
        Self::new(u64::MAX)
    }
}

struct Inner {
    generation: i64,
    index: SearchIndex,
    /// What each indexed id's hit shows, changed in the same step as the index.
    entries: SearchEntries,
}

impl LiveSearchIndex {
    pub fn new(entries_budget: u64) -> Self {
        Self { inner: RwLock::new(None), entries_budget }
    }

    /// Builds the index from the database now rather than at the first search.
    pub fn warm(&self, conn: &dyn Sql) -> Result<(), DbError> {
        self.catch_up(conn)
    }

    /// Ids (lowercase) matching the query, best first, and the total number of matches, as of
    /// the generation `conn` reads (or newer). `SearchIndex::answers(q)` must hold.
    pub fn search(
        &self,
        conn: &dyn Sql,
        q: &ParsedQuery,
        required_visibility: i64,
    ) -> Result<(usize, Vec<String>), DbError> {
        let (total, page) = self.search_page(conn, q, required_visibility)?;
        Ok((total, page.into_iter().map(|(id, _)| id).collect()))
    }

    /// `search`, each id with its search entry read in the same step as the index (`None` only
    /// if an id's entry could not be built, which the caller reads from the database instead).
    pub fn search_page(
        &self,
        conn: &dyn Sql,
        q: &ParsedQuery,
        required_visibility: i64,
    ) -> Result<(usize, Vec<Hit>), DbError> {
        self.catch_up(conn)?;
        let (total, page) = {
            let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
            let Some(inner) = inner.as_ref() else { return Ok((0, Vec::new())) };
            let (total, ids) = inner.index.search(q, required_visibility);
            let page: Vec<Hit> = ids
                .into_iter()
                .map(|id| {
                    let entry = inner.entries.get(&id);
                    (id, entry)
                })
                .collect();
            (total, page)
        };
        Ok((total, fill_not_held(conn, page)?))
    }

    /// The entries of these ids as of the generation `conn` reads (or newer), in their order;
    /// `None` for an id no search shows.
    pub fn entries(&self, conn: &dyn Sql, ids_lower: &[String]) -> Result<Vec<Option<Arc<SearchEntry>>>, DbError> {
        self.catch_up(conn)?;
        let held: Vec<Hit> = {
            let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
            ids_lower.iter().map(|id| (id.clone(), inner.as_ref().and_then(|i| i.entries.get(id)))).collect()
        };
        Ok(fill_not_held(conn, held)?.into_iter().map(|(_, entry)| entry).collect())
    }

    /// Builds the index, or applies the packages changed since its generation. Reads the
    /// generation before the changes, so what is applied is never older than the generation it
    /// is filed under.
    fn catch_up(&self, conn: &dyn Sql) -> Result<(), DbError> {
        let generation = db::search::generation(conn)?;
        let current = |inner: &Option<Inner>| inner.as_ref().is_some_and(|i| i.generation >= generation);
        if current(&self.inner.read().unwrap_or_else(PoisonError::into_inner)) {
            return Ok(());
        }
        let mut guard = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if current(&guard) {
            return Ok(());
        }
        match guard.as_mut() {
            None => {
                let (generation, docs) = db::search::index_docs(conn)?;
                // The most downloaded first: the ones held when the budget cannot hold them all.
                let mut by_downloads: Vec<(i64, i64, String)> =
                    docs.iter().map(|d| (d.downloads, d.key, d.id_lower.clone())).collect();
                by_downloads.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                let keys: Vec<(i64, String)> = by_downloads.into_iter().map(|(_, key, id)| (key, id)).collect();
                let index = SearchIndex::build(docs);
                let mut entries = SearchEntries::new(self.entries_budget);
                entries.load(conn, &keys)?;
                tracing::info!(
                    packages = index.len(),
                    generation,
                    entries_held = entries.len(),
                    entries_not_held = entries.not_held(),
                    entry_bytes = entries.bytes(),
                    "search index built"
                );
                *guard = Some(Inner { generation, index, entries });
            }
            Some(inner) => {
                let mut present = Vec::new();
                for change in db::search::changed_since(conn, inner.generation)? {
                    match change {
                        db::search::IndexChange::Present(doc) => {
                            present.push((doc.key, doc.id_lower.clone()));
                            inner.index.upsert(*doc);
                        }
                        db::search::IndexChange::Absent(key) => {
                            inner.index.remove(key);
                            inner.entries.remove(key);
                        }
                    }
                }
                inner.entries.load(conn, &present)?;
                inner.generation = generation;
            }
        }
        Ok(())
    }
}

/// Reads from the database the entries of the hits whose entry is not held (past `[cache]
/// search_mb`), all in one batch; the page keeps its order.
fn fill_not_held(conn: &dyn Sql, mut page: Vec<Hit>) -> Result<Vec<Hit>, DbError> {
    let missing: Vec<String> = page.iter().filter(|(_, entry)| entry.is_none()).map(|(id, _)| id.clone()).collect();
    if missing.is_empty() {
        return Ok(page);
    }
    let mut read = SearchEntries::read(conn, &missing)?;
    for (id, entry) in &mut page {
        if entry.is_none() {
            *entry = read.remove(id.as_str()).map(Arc::new);
        }
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::LiveSearchIndex;
    use crate::db::search::{self, visibility};
    use crate::search::query::ParsedQuery;
    use rusqlite::Connection;

    const WORDS: [&str; 10] =
        ["json", "http", "client", "logging", "azure", "storage", "core", "data", "jsonpath", "httpclient"];

    fn add(conn: &Connection, key: i64, id: &str, description: &str, tags: &str, owners: &str, bits: i64) {
        conn.execute(
            "INSERT INTO packages (id, package_id, id_lower, created_at, search_visibility, total_downloads)
             VALUES (?1, ?2, lower(?2), 'now', ?3, ?1 % 7)",
            rusqlite::params![key, id, bits],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO package_search (rowid, package_id, id_parts, title, summary, description, tags, authors, owners)
             VALUES (?1, ?2, ?3, NULL, NULL, ?4, ?5, 'Acme', ?6)",
            rusqlite::params![key, id, crate::search::index::id_words(id), description, tags, owners],
        )
        .unwrap();
        search::note_change(conn, key).unwrap();
    }

    fn database() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::migrate::run(&mut conn).unwrap();
        for key in 1..=120_i64 {
            let w = |k: i64| WORDS[usize::try_from((key * 3 + k * 7) % 10).unwrap()];
            let id = format!("Acme.{}{}.N{key}", w(1), w(2));
            let description = format!("{} {} {} and {}", w(3), w(4), w(5), w(6));
            let bits =
                if key % 5 == 0 { visibility::of_version(true, false) } else { visibility::of_version(false, false) };
            add(&conn, key, &id, &description, w(7), if key % 3 == 0 { "alice" } else { "bob" }, bits);
        }
        conn
    }

    /// The in-memory index finds exactly what the FTS5 query finds, with the same totals, for
    /// every query class: only the order within the page may differ (ids the query starts).
    #[test]
    fn finds_what_the_fts_query_finds() {
        let conn = database();
        let live = LiveSearchIndex::default();
        let queries = [
            "json",
            "js",
            "http client",
            "id:acme",
            "tags:json",
            "owner:alice",
            "owner:alice storage",
            "packageid:Acme.jsondata.N1 json",
            "description:azure",
            "author:acme data",
            "nothing",
            "acme.json",
            "a\" OR NEAR(b) *",
            "id:\"acme jsonpath\"",
            "title:x",
        ];
        for q in queries {
            for prerelease in [false, true] {
                let mut query = ParsedQuery::parse(q);
                query.take = 1000;
                query.include_prerelease = prerelease;
                let (sql_total, mut sql_ids) = search::search(&conn, &query).unwrap();
                let required = visibility::required(prerelease, false);
                let (total, mut ids) = live.search(&conn, &query, required).unwrap();
                assert_eq!(total, sql_total, "{q}");
                sql_ids.sort();
                ids.sort();
                assert_eq!(ids, sql_ids, "{q}");
            }
        }
    }

    /// A change recorded in the database is in the next answer; so is a removal.
    #[test]
    fn follows_changes_by_generation() {
        let conn = database();
        let live = LiveSearchIndex::default();
        let q = ParsedQuery::parse("zebra");
        let stable = visibility::required(false, false);
        assert_eq!(live.search(&conn, &q, stable).unwrap().0, 0);
        add(&conn, 500, "Zebra.Tools", "stripes", "zebra", "carol", visibility::of_version(false, false));
        assert_eq!(live.search(&conn, &q, stable).unwrap(), (1, vec!["zebra.tools".to_owned()]));
        // Unlisted everywhere: the search row goes, the package stays.
        search::reindex_package(&conn, 500).unwrap();
        assert_eq!(live.search(&conn, &q, stable).unwrap().0, 0);
        // Only the downloads moved: still found, and the order follows them.
        add(&conn, 501, "Zebra.A", "stripes", "zebra", "carol", stable);
        add(&conn, 502, "Zebra.B", "stripes", "zebra", "carol", stable);
        let both = ParsedQuery::parse("stripes");
        assert_eq!(live.search(&conn, &both, stable).unwrap().1, ["zebra.b", "zebra.a"]);
        conn.execute("UPDATE packages SET total_downloads = 1000 WHERE id = 501", []).unwrap();
        search::note_change_by_id(&conn, "zebra.a").unwrap();
        assert_eq!(live.search(&conn, &both, stable).unwrap().1, ["zebra.a", "zebra.b"]);
        // A package removed outright (its rows deleted, the orphan sweep notes it).
        conn.execute("DELETE FROM packages WHERE id = 502", []).unwrap();
        search::remove_orphans(&conn).unwrap();
        assert_eq!(live.search(&conn, &both, stable).unwrap().1, ["zebra.a"]);
    }
}

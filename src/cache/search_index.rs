//! The in-memory search index of this process, kept at the database's search generation.
//!
//! Every change to what search shows (a push, a delete, an unlist or relist, an owner change, a
//! download-count flush) bumps the generation and records the package in `search_changes`, in the
//! change's own transaction. A search first brings the index up to the generation its read sees,
//! applying only the packages recorded since: so a pushed package is found by the first search
//! after its commit (before its 201 is sent), also when another process (`galley reindex`) made
//! the change, and the database stays the one truth the index is rebuilt from at start-up.
use crate::db::{self, DbError};
use crate::search::index::SearchIndex;
use crate::search::query::ParsedQuery;
use rusqlite::Connection;
use std::sync::{PoisonError, RwLock};

/// Empty until first used (or `warm`ed by the server at start), so CLI commands that open the
/// state never pay for it.
#[derive(Default)]
pub struct LiveSearchIndex {
    inner: RwLock<Option<Inner>>,
}

struct Inner {
    generation: i64,
    index: SearchIndex,
}

impl LiveSearchIndex {
    /// Builds the index from the database now rather than at the first search.
    pub fn warm(&self, conn: &Connection) -> Result<(), DbError> {
        self.catch_up(conn)
    }

    /// Ids (lowercase) matching the query, best first, and the total number of matches, as of
    /// the generation `conn` reads (or newer). `SearchIndex::answers(q)` must hold.
    pub fn search(
        &self,
        conn: &Connection,
        q: &ParsedQuery,
        required_visibility: i64,
    ) -> Result<(usize, Vec<String>), DbError> {
        self.catch_up(conn)?;
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Ok(inner.as_ref().map_or((0, Vec::new()), |inner| inner.index.search(q, required_visibility)))
    }

    /// Builds the index, or applies the packages changed since its generation. Reads the
    /// generation before the changes, so what is applied is never older than the generation it
    /// is filed under.
    fn catch_up(&self, conn: &Connection) -> Result<(), DbError> {
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
                let index = SearchIndex::build(docs);
                tracing::info!(packages = index.len(), generation, "search index built");
                *guard = Some(Inner { generation, index });
            }
            Some(inner) => {
                for change in db::search::changed_since(conn, inner.generation)? {
                    match change {
                        db::search::IndexChange::Present(doc) => inner.index.upsert(doc),
                        db::search::IndexChange::Absent(key) => inner.index.remove(key),
                    }
                }
                inner.generation = generation;
            }
        }
        Ok(())
    }
}

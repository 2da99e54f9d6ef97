//! Search: nuget.org's query syntax, and the in-memory index that answers it. The index's source
//! of truth, the FTS5 table, lives in `db::search` and is updated in the transaction of every
//! package change; `cache::search_index` keeps the in-memory index in step with it.
pub mod index;
pub mod query;
#[cfg(test)]
mod relevance_tests;

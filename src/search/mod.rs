//! Search: nuget.org's query syntax turned into an FTS5 query. The index itself lives in
//! `db::search` and is updated in the transaction of every package change.
pub mod query;

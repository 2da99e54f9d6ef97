//! In-memory and on-disk caches shared by every request, below the services: the rendered feed
//! documents, buffered download counts and recently verified feed credentials. Services decide
//! when to fill or drop them; the caches only keep what they are given.
pub mod downloads;
pub mod feed_access;
pub mod feed_docs;
pub mod mirror;
pub mod search_entries;
pub mod search_index;
pub mod symbol_index;

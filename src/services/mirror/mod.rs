//! Read-through of ids not held locally from the `[[upstream]]` feeds: the guard that decides
//! which upstreams may supply an id (`guard`), version lists and registration documents cached for
//! `metadata_ttl_minutes` and served stale when the upstream fails (`metadata`), and package files
//! fetched, verified and scanned on first download, then published like a push (`fetch`), and
//! upstream hits after the local ones in search (`search`).
pub mod fetch;
pub mod guard;
pub mod metadata;
pub mod prefetch;
pub mod search;
pub mod v2;

pub use crate::cache::mirror::{CachedDocument, Mirror, VersionList};

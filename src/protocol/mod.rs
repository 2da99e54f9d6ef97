//! Wire formats only: URLs, v3 JSON documents, v2 Atom XML. No business rules, no I/O.
pub mod urls;
pub mod v3;

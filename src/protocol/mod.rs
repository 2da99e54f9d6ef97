//! Wire formats only: URLs, v3 JSON documents, v2 Atom XML and the OData URL grammar. No business
//! rules, no I/O.
pub mod odata_filter;
pub mod odata_query;
pub mod urls;
pub mod v2_atom;
pub mod v2_metadata;
pub mod v2_properties;
pub mod v3;
pub mod v3_upstream;

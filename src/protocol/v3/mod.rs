//! NuGet v3 JSON documents: service index, flat container, registration, search, autocomplete,
//! vulnerabilities. Built from database records; every URL comes from the `UrlGenerator`. One
//! file per document; the names are re-exported here so callers write `protocol::v3::…`.
mod catalog_entry;
mod flat_container;
mod registration;
mod search;
mod service_index;
mod vulnerabilities;

pub use catalog_entry::{
    AlternatePackageJson, CatalogEntry, DependencyGroupJson, DependencyJson, DeprecationJson, VulnerabilityJson,
    UNLISTED_PUBLISHED,
};
pub use flat_container::{flat_index, FlatIndex};
pub use registration::{
    hive_versions, registration, registration_leaf_document, RegistrationIndex, RegistrationLeaf,
    RegistrationLeafDocument, RegistrationPage, INLINE_LIMIT, PAGE_SIZE,
};
pub use search::{
    search_result, search_result_of, AutocompleteResponse, PackageTypeJson, SearchResponse, SearchResult, SearchVersion,
};
pub use service_index::{service_index, Resource, ServiceIndex};
pub use vulnerabilities::{vulnerability_index, VulnerabilityIndexEntry};
#[cfg(test)]
mod search_tests;

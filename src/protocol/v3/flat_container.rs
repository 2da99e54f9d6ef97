//! The flat-container version list (`{id}/index.json`) restore reads first.
use crate::domain::records::PackageRecord;
use serde::Serialize;

#[derive(Serialize)]
pub struct FlatIndex {
    pub versions: Vec<String>,
}

/// Every available version (listed or not), lowercase normalized, ascending.
pub fn flat_index(package: &PackageRecord) -> FlatIndex {
    FlatIndex { versions: package.available().map(|v| v.version_lower.clone()).collect() }
}

//! Registration documents: the index of an id, its pages when it has more than `INLINE_LIMIT`
//! versions, and the standalone leaf of one version.
use super::catalog_entry::{catalog_entry, published, CatalogEntry};
use crate::domain::records::{PackageRecord, VersionRecord};
use crate::protocol::urls::{Hive, UrlGenerator};
use serde::Serialize;

/// nuget.org inlines registration pages when an id has at most this many versions.
pub const INLINE_LIMIT: usize = 128;
pub const PAGE_SIZE: usize = 64;

#[derive(Serialize)]
pub struct RegistrationIndex {
    #[serde(rename = "@id")]
    pub id: String,
    #[serde(rename = "@type")]
    pub kind: [&'static str; 3],
    pub count: usize,
    pub items: Vec<RegistrationPage>,
}

#[derive(Serialize)]
pub struct RegistrationPage {
    #[serde(rename = "@id")]
    pub id: String,
    #[serde(rename = "@type")]
    pub kind: &'static str,
    pub count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<RegistrationLeaf>>,
    pub lower: String,
    pub upper: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationLeaf {
    #[serde(rename = "@id")]
    pub id: String,
    #[serde(rename = "@type")]
    pub kind: &'static str,
    pub catalog_entry: CatalogEntry,
    pub package_content: String,
    pub registration: String,
}

/// The versions a hive shows: available ones, without SemVer 2.0 in the older hives.
pub fn hive_versions(package: &PackageRecord, hive: Hive) -> Vec<&VersionRecord> {
    package.available().filter(|v| hive.includes_semver2() || !v.is_semver2).collect()
}

fn leaf(urls: &UrlGenerator, hive: Hive, package: &PackageRecord, v: &VersionRecord) -> RegistrationLeaf {
    RegistrationLeaf {
        id: urls.registration_leaf(hive, &package.id_lower, &v.version_lower),
        kind: "Package",
        catalog_entry: catalog_entry(urls, hive, package, v),
        package_content: urls.package_content(&package.id_lower, &v.version_lower),
        registration: urls.registration_index(hive, &package.id_lower),
    }
}

/// One page of the registration: its versions' bounds and, when `inline`, the leaves themselves.
fn page(
    urls: &UrlGenerator,
    hive: Hive,
    package: &PackageRecord,
    versions: &[&VersionRecord],
    inline: bool,
) -> RegistrationPage {
    let lower = versions.first().map(|v| v.version_lower.clone()).unwrap_or_default();
    let upper = versions.last().map(|v| v.version_lower.clone()).unwrap_or_default();
    let index = urls.registration_index(hive, &package.id_lower);
    RegistrationPage {
        id: if inline {
            format!("{index}#page/{lower}/{upper}")
        } else {
            urls.registration_page(hive, &package.id_lower, &lower, &upper)
        },
        kind: "catalog:CatalogPage",
        count: versions.len(),
        items: Some(versions.iter().map(|v| leaf(urls, hive, package, v)).collect()),
        lower,
        upper,
        parent: Some(index),
    }
}

/// The registration index and, when the id has more than `INLINE_LIMIT` versions, its separate pages.
/// Returns `None` when the hive has no version of this id.
pub fn registration(
    urls: &UrlGenerator,
    hive: Hive,
    package: &PackageRecord,
) -> Option<(RegistrationIndex, Vec<RegistrationPage>)> {
    let versions = hive_versions(package, hive);
    if versions.is_empty() {
        return None;
    }
    let inline = versions.len() <= INLINE_LIMIT;
    let mut pages = Vec::new();
    let mut items = Vec::new();
    for chunk in versions.chunks(PAGE_SIZE) {
        let full = page(urls, hive, package, chunk, inline);
        if inline {
            items.push(RegistrationPage { parent: None, ..full });
        } else {
            items.push(RegistrationPage { items: None, parent: None, ..page(urls, hive, package, chunk, false) });
            pages.push(full);
        }
    }
    let index = RegistrationIndex {
        id: urls.registration_index(hive, &package.id_lower),
        kind: ["catalog:CatalogRoot", "PackageRegistration", "catalog:Permalink"],
        count: items.len(),
        items,
    };
    Some((index, pages))
}

/// The standalone leaf document `{reg}/{id}/{version}.json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationLeafDocument {
    #[serde(rename = "@id")]
    pub id: String,
    #[serde(rename = "@type")]
    pub kind: [&'static str; 2],
    pub catalog_entry: String,
    pub listed: bool,
    pub package_content: String,
    pub published: String,
    pub registration: String,
}

pub fn registration_leaf_document(
    urls: &UrlGenerator,
    hive: Hive,
    package: &PackageRecord,
    v: &VersionRecord,
) -> RegistrationLeafDocument {
    let leaf_url = urls.registration_leaf(hive, &package.id_lower, &v.version_lower);
    RegistrationLeafDocument {
        catalog_entry: format!("{leaf_url}#catalogEntry"),
        id: leaf_url,
        kind: ["Package", "http://schema.nuget.org/catalog#Permalink"],
        listed: v.listed,
        package_content: urls.package_content(&package.id_lower, &v.version_lower),
        published: published(v),
        registration: urls.registration_index(hive, &package.id_lower),
    }
}

#[cfg(test)]
#[path = "registration_tests.rs"]
mod tests;

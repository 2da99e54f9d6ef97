//! Search and autocomplete answers.
use crate::domain::records::PackageRecord;
use crate::protocol::urls::{Hive, UrlGenerator};
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResponse {
    pub total_hits: usize,
    pub data: Vec<SearchResult>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    #[serde(rename = "@id")]
    pub id_url: String,
    #[serde(rename = "@type")]
    pub kind: &'static str,
    pub registration: String,
    pub id: String,
    pub version: String,
    pub description: String,
    pub summary: String,
    pub title: String,
    pub icon_url: String,
    pub license_url: String,
    pub project_url: String,
    pub tags: Vec<String>,
    pub authors: Vec<String>,
    pub owners: Vec<String>,
    pub total_downloads: i64,
    pub verified: bool,
    pub package_types: Vec<PackageTypeJson>,
    pub versions: Vec<SearchVersion>,
    /// The upstream an id comes from (`None` for a local one); the portal marks such hits, the
    /// wire shape is nuget.org's and has no such field.
    #[serde(skip)]
    pub upstream: Option<String>,
}

#[derive(Serialize)]
pub struct PackageTypeJson {
    pub name: String,
}

#[derive(Serialize)]
pub struct SearchVersion {
    pub version: String,
    pub downloads: i64,
    #[serde(rename = "@id")]
    pub id_url: String,
}

/// A search hit: the latest version under the flags, and every listed version under them.
pub fn search_result(
    urls: &UrlGenerator,
    package: &PackageRecord,
    include_prerelease: bool,
    include_semver2: bool,
) -> Option<SearchResult> {
    let latest = package.latest(include_prerelease, include_semver2)?;
    let hive = if include_semver2 { Hive::GzipSemVer2 } else { Hive::Legacy };
    let visible = package.searchable(include_prerelease, include_semver2);
    let mut package_types: Vec<PackageTypeJson> =
        latest.package_types.iter().map(|t| PackageTypeJson { name: t.name.clone() }).collect();
    if package_types.is_empty() {
        package_types.push(PackageTypeJson { name: "Dependency".into() });
    }
    Some(SearchResult {
        id_url: urls.registration_index(hive, &package.id_lower),
        kind: "Package",
        registration: urls.registration_index(hive, &package.id_lower),
        id: package.package_id.clone(),
        version: if include_semver2 { latest.version_full.clone() } else { latest.version_normalized.clone() },
        description: latest.description.clone(),
        summary: latest.summary.clone().unwrap_or_default(),
        title: latest.title.clone().unwrap_or_else(|| package.package_id.clone()),
        icon_url: if latest.icon_file.is_some() {
            urls.icon(&package.id_lower, &latest.version_lower)
        } else {
            latest.icon_url.clone().unwrap_or_default()
        },
        license_url: latest.license_url.clone().unwrap_or_default(),
        project_url: latest.project_url.clone().unwrap_or_default(),
        tags: latest.tag_list(),
        authors: latest.author_list(),
        owners: package.owners.clone(),
        total_downloads: package.total_downloads,
        verified: package.verified,
        package_types,
        versions: visible
            .map(|v| SearchVersion {
                version: if include_semver2 { v.version_full.clone() } else { v.version_normalized.clone() },
                downloads: v.downloads,
                id_url: urls.registration_leaf(hive, &package.id_lower, &v.version_lower),
            })
            .collect(),
        upstream: package.upstream.clone(),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutocompleteResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_hits: Option<usize>,
    pub data: Vec<String>,
}

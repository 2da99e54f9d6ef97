//! Search and autocomplete answers.
use crate::domain::records::PackageRecord;
use crate::domain::search_entry::{SearchEntry, VersionView};
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

/// A search hit of a package loaded from the database (the profile page, the fallback query):
/// through its search entry, so both paths render one way.
pub fn search_result(
    urls: &UrlGenerator,
    package: &PackageRecord,
    include_prerelease: bool,
    include_semver2: bool,
) -> Option<SearchResult> {
    search_result_of(urls, &SearchEntry::of(package)?, include_prerelease, include_semver2)
}

/// A search hit: the latest version under the flags, and every listed version under them.
pub fn search_result_of(
    urls: &UrlGenerator,
    entry: &SearchEntry,
    include_prerelease: bool,
    include_semver2: bool,
) -> Option<SearchResult> {
    let (latest, meta) = entry.latest(include_prerelease, include_semver2)?;
    let hive = if include_semver2 { Hive::GzipSemVer2 } else { Hive::Legacy };
    let id_lower = entry.id_lower();
    let text = |s: Option<&str>| s.unwrap_or_default().to_owned();
    let mut package_types: Vec<PackageTypeJson> =
        meta.package_types().map(|name| PackageTypeJson { name: name.to_owned() }).collect();
    if package_types.is_empty() {
        package_types.push(PackageTypeJson { name: "Dependency".into() });
    }
    let version_of = |v: &VersionView| {
        if include_semver2 {
            v.version_full().to_owned()
        } else {
            v.version_normalized().to_owned()
        }
    };
    Some(SearchResult {
        id_url: urls.registration_index(hive, id_lower),
        kind: "Package",
        registration: urls.registration_index(hive, id_lower),
        id: entry.package_id().to_owned(),
        version: version_of(&latest),
        description: meta.description().to_owned(),
        summary: text(meta.summary()),
        title: meta.title().unwrap_or(entry.package_id()).to_owned(),
        icon_url: if meta.has_icon_file { urls.icon(id_lower, latest.version_lower()) } else { text(meta.icon_url()) },
        license_url: text(meta.license_url()),
        project_url: text(meta.project_url()),
        tags: meta.tags().map(str::to_owned).collect(),
        authors: meta.authors().map(str::to_owned).collect(),
        owners: entry.owners().map(str::to_owned).collect(),
        total_downloads: entry.total_downloads,
        verified: entry.verified,
        package_types,
        versions: entry
            .searchable(include_prerelease, include_semver2)
            .map(|v| SearchVersion {
                version: version_of(&v),
                downloads: v.downloads(),
                id_url: urls.registration_leaf(hive, id_lower, v.version_lower()),
            })
            .collect(),
        upstream: entry.upstream().map(str::to_owned),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutocompleteResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_hits: Option<usize>,
    pub data: Vec<String>,
}

//! NuGet v3 JSON documents: service index, flat container, registration, search, autocomplete.
//! Built from database records; every URL comes from the `UrlGenerator`.
use super::urls::{Hive, UrlGenerator};
use crate::domain::records::{PackageRecord, VersionRecord};
use serde::Serialize;

/// nuget.org shows this date for unlisted versions.
pub const UNLISTED_PUBLISHED: &str = "1900-01-01T00:00:00+00:00";
/// nuget.org inlines registration pages when an id has at most this many versions.
pub const INLINE_LIMIT: usize = 128;
pub const PAGE_SIZE: usize = 64;

#[derive(Serialize)]
pub struct ServiceIndex {
    pub version: &'static str,
    pub resources: Vec<Resource>,
}

#[derive(Serialize)]
pub struct Resource {
    #[serde(rename = "@id")]
    pub id: String,
    #[serde(rename = "@type")]
    pub kind: String,
    pub comment: &'static str,
}

pub fn service_index(urls: &UrlGenerator) -> ServiceIndex {
    let mut resources = Vec::new();
    let mut add = |id: String, types: &[&str], comment: &'static str| {
        for t in types {
            resources.push(Resource { id: id.clone(), kind: (*t).to_owned(), comment });
        }
    };
    add(urls.flat_container(), &["PackageBaseAddress/3.0.0"], "Base URL of where NuGet packages are stored, in the format {@id}{id-lower}/{version-lower}/{id-lower}.{version-lower}.nupkg");
    add(urls.publish(), &["PackagePublish/2.0.0"], "Push, delete (unlist) and relist packages");
    add(urls.symbol_publish(), &["SymbolPackagePublish/4.9.0"], "Push symbol packages (.snupkg)");
    add(
        urls.search(),
        &[
            "SearchQueryService",
            "SearchQueryService/3.0.0-beta",
            "SearchQueryService/3.0.0-rc",
            "SearchQueryService/3.5.0",
        ],
        "Query endpoint of the search service",
    );
    add(
        urls.autocomplete(),
        &[
            "SearchAutocompleteService",
            "SearchAutocompleteService/3.0.0-beta",
            "SearchAutocompleteService/3.0.0-rc",
            "SearchAutocompleteService/3.5.0",
        ],
        "Autocomplete endpoint of the search service",
    );
    add(
        urls.registration_base(Hive::Legacy),
        &["RegistrationsBaseUrl", "RegistrationsBaseUrl/3.0.0-beta", "RegistrationsBaseUrl/3.0.0-rc"],
        "Base URL of package registration metadata (SemVer 1.0.0 versions only)",
    );
    add(
        urls.registration_base(Hive::Gzip),
        &["RegistrationsBaseUrl/3.4.0"],
        "Base URL of gzip-encoded registration metadata (SemVer 1.0.0 versions only)",
    );
    add(
        urls.registration_base(Hive::GzipSemVer2),
        &["RegistrationsBaseUrl/3.6.0", "RegistrationsBaseUrl/Versioned"],
        "Base URL of gzip-encoded registration metadata including SemVer 2.0.0 versions",
    );
    add(
        urls.package_details_template(),
        &["PackageDetailsUriTemplate/5.1.0"],
        "URI template for the package details page",
    );
    add(urls.readme_template(), &["ReadmeUriTemplate/6.13.0"], "URI template for a package's README");
    add(
        urls.report_abuse_template(),
        &["ReportAbuseUriTemplate/3.0.0-beta", "ReportAbuseUriTemplate/3.0.0-rc"],
        "URI template for reporting a package",
    );
    add(urls.v2_root(), &["LegacyGallery", "LegacyGallery/2.0.0"], "The v2 (OData) feed");
    add(
        urls.vulnerability_index(),
        &["VulnerabilityInfo/6.7.0"],
        "The index of the files of known vulnerabilities, which restore audits read",
    );
    ServiceIndex { version: "3.0.0", resources }
}

#[derive(Serialize)]
pub struct FlatIndex {
    pub versions: Vec<String>,
}

/// Every available version (listed or not), lowercase normalized, ascending.
pub fn flat_index(package: &PackageRecord) -> FlatIndex {
    FlatIndex { versions: package.available().map(|v| v.version_lower.clone()).collect() }
}

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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogEntry {
    #[serde(rename = "@id")]
    pub id_url: String,
    #[serde(rename = "@type")]
    pub kind: &'static str,
    pub authors: String,
    pub dependency_groups: Vec<DependencyGroupJson>,
    pub description: String,
    pub icon_url: String,
    pub id: String,
    pub language: String,
    pub license_expression: String,
    pub license_url: String,
    pub listed: bool,
    pub min_client_version: String,
    pub package_content: String,
    /// Base64 SHA-512 of the `.nupkg`, as nuget.org's catalog items carry it (its registration
    /// links them): another server reading through from this one verifies what it fetched.
    pub package_hash: String,
    pub package_hash_algorithm: &'static str,
    pub project_url: String,
    pub published: String,
    pub require_license_acceptance: bool,
    pub summary: String,
    pub tags: Vec<String>,
    pub title: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readme_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deprecation: Option<DeprecationJson>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<VulnerabilityJson>,
}

/// A catalog entry's `deprecation`, as nuget.org's registration leaves carry it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeprecationJson {
    #[serde(rename = "@id")]
    pub id_url: String,
    pub reasons: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternate_package: Option<AlternatePackageJson>,
}

#[derive(Serialize)]
pub struct AlternatePackageJson {
    #[serde(rename = "@id")]
    pub id_url: String,
    pub id: String,
    /// `*` for any version.
    pub range: String,
}

/// One advisory matching the version; nuget.org writes the severity as a string ("0".."3").
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VulnerabilityJson {
    #[serde(rename = "@id")]
    pub id_url: String,
    #[serde(rename = "@type")]
    pub kind: &'static str,
    pub advisory_url: String,
    pub severity: String,
}

/// One entry of the vulnerability index (`VulnerabilityInfo/6.7.0`).
#[derive(Serialize)]
pub struct VulnerabilityIndexEntry {
    #[serde(rename = "@name")]
    pub name: &'static str,
    #[serde(rename = "@id")]
    pub id: String,
    #[serde(rename = "@updated")]
    pub updated: String,
    pub comment: &'static str,
}

/// The vulnerability index: every advisory in the `base` page and an empty `update` page, the
/// two pages nuget.org serves (the data is small; one page changing is no burden to clients).
pub fn vulnerability_index(urls: &UrlGenerator, updated: &str) -> Vec<VulnerabilityIndexEntry> {
    vec![
        VulnerabilityIndexEntry {
            name: "base",
            id: urls.vulnerability_page("base"),
            updated: updated.to_owned(),
            comment: "Every known vulnerability",
        },
        VulnerabilityIndexEntry {
            name: "update",
            id: urls.vulnerability_page("update"),
            updated: updated.to_owned(),
            comment: "Changes since the base page (kept empty: the base page is always current)",
        },
    ]
}

fn deprecation_json(leaf: &str, d: &crate::domain::records::DeprecationRecord) -> DeprecationJson {
    let id_url = format!("{leaf}#deprecation");
    DeprecationJson {
        reasons: d.reasons.clone(),
        message: d.message.clone(),
        alternate_package: d.alternate_id.as_ref().map(|id| AlternatePackageJson {
            id_url: format!("{id_url}/alternatePackage"),
            id: id.clone(),
            range: d.alternate_range.clone().unwrap_or_else(|| "*".to_owned()),
        }),
        id_url,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DependencyGroupJson {
    #[serde(rename = "@id")]
    pub id_url: String,
    #[serde(rename = "@type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_framework: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<DependencyJson>,
}

#[derive(Serialize)]
pub struct DependencyJson {
    #[serde(rename = "@id")]
    pub id_url: String,
    #[serde(rename = "@type")]
    pub kind: &'static str,
    pub id: String,
    pub range: String,
    pub registration: String,
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

fn published(v: &VersionRecord) -> String {
    if v.listed {
        chrono::DateTime::parse_from_rfc3339(&v.published_at)
            .map_or_else(|_| v.published_at.clone(), |d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, false))
    } else {
        UNLISTED_PUBLISHED.to_owned()
    }
}

/// The versions a hive shows: available ones, without SemVer 2.0 in the older hives.
pub fn hive_versions(package: &PackageRecord, hive: Hive) -> Vec<&VersionRecord> {
    package.available().filter(|v| hive.includes_semver2() || !v.is_semver2).collect()
}

fn catalog_entry(urls: &UrlGenerator, hive: Hive, package: &PackageRecord, v: &VersionRecord) -> CatalogEntry {
    let leaf = urls.registration_leaf(hive, &package.id_lower, &v.version_lower);
    let content = urls.package_content(&package.id_lower, &v.version_lower);
    let dependency_groups = v
        .dependency_groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let group_url =
                format!("{leaf}#dependencygroup/{}", g.target_framework.as_deref().unwrap_or("").to_ascii_lowercase());
            DependencyGroupJson {
                id_url: if g.target_framework.is_some() {
                    group_url.clone()
                } else {
                    format!("{leaf}#dependencygroup/{i}")
                },
                kind: "PackageDependencyGroup",
                target_framework: g.target_framework.clone(),
                dependencies: g
                    .dependencies
                    .iter()
                    .map(|d| DependencyJson {
                        id_url: format!("{group_url}/{}", d.id.to_ascii_lowercase()),
                        kind: "PackageDependency",
                        id: d.id.clone(),
                        range: if d.range.is_empty() { "(, )".to_owned() } else { d.range.clone() },
                        registration: urls.registration_index(hive, &d.id.to_ascii_lowercase()),
                    })
                    .collect(),
            }
        })
        .collect();
    CatalogEntry {
        id_url: format!("{leaf}#catalogEntry"),
        kind: "PackageDetails",
        authors: v.authors.clone(),
        dependency_groups,
        description: v.description.clone(),
        icon_url: if v.icon_file.is_some() {
            urls.icon(&package.id_lower, &v.version_lower)
        } else {
            v.icon_url.clone().unwrap_or_default()
        },
        id: package.package_id.clone(),
        language: v.language.clone().unwrap_or_default(),
        license_expression: v.license_expression.clone().unwrap_or_default(),
        license_url: v.license_url.clone().unwrap_or_default(),
        listed: v.listed,
        min_client_version: v.min_client_version.clone().unwrap_or_default(),
        package_content: content,
        package_hash: v.hash_sha512.clone(),
        package_hash_algorithm: "SHA512",
        project_url: v.project_url.clone().unwrap_or_default(),
        published: published(v),
        require_license_acceptance: v.require_license_acceptance,
        summary: v.summary.clone().unwrap_or_default(),
        tags: v.tag_list(),
        title: v.title.clone().unwrap_or_default(),
        version: if hive.includes_semver2() { v.version_full.clone() } else { v.version_normalized.clone() },
        readme_url: v.readme_file.as_ref().map(|_| urls.readme(&package.id_lower, &v.version_lower)),
        deprecation: v.deprecation.as_ref().map(|d| deprecation_json(&leaf, d)),
        vulnerabilities: v
            .vulnerabilities
            .iter()
            .enumerate()
            .map(|(i, a)| VulnerabilityJson {
                id_url: format!("{leaf}#vulnerability/{i}"),
                kind: "Vulnerability",
                advisory_url: a.advisory_url.clone(),
                severity: a.severity.to_string(),
            })
            .collect(),
    }
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
    let visible = package
        .available()
        .filter(|v| v.listed && (include_prerelease || !v.is_prerelease) && (include_semver2 || !v.is_semver2));
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

#[cfg(test)]
#[path = "v3_tests.rs"]
mod tests;

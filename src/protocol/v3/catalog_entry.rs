//! A registration leaf's `catalogEntry`: the version's metadata, dependencies, deprecation and
//! vulnerabilities as nuget.org's registration leaves carry them.
use crate::domain::id::PackageId;
use crate::domain::records::{PackageRecord, VersionRecord};
use crate::protocol::urls::{Hive, UrlGenerator};
use serde::Serialize;

/// nuget.org shows this date for unlisted versions.
pub const UNLISTED_PUBLISHED: &str = "1900-01-01T00:00:00+00:00";

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

pub(super) fn published(v: &VersionRecord) -> String {
    if v.listed {
        chrono::DateTime::parse_from_rfc3339(&v.published_at)
            .map_or_else(|_| v.published_at.clone(), |d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, false))
    } else {
        UNLISTED_PUBLISHED.to_owned()
    }
}

pub(super) fn catalog_entry(
    urls: &UrlGenerator,
    hive: Hive,
    package: &PackageRecord,
    v: &VersionRecord,
) -> CatalogEntry {
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
                        id_url: format!("{group_url}/{}", PackageId::key_of(&d.id)),
                        kind: "PackageDependency",
                        id: d.id.clone(),
                        range: if d.range.is_empty() { "(, )".to_owned() } else { d.range.clone() },
                        registration: urls.registration_index(hive, &PackageId::key_of(&d.id)),
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

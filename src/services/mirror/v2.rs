//! v2 answers for an upstream id (`FindPackagesById()`, `Packages(Id,Version)`): the upstream's
//! registration (index and pages, read through `metadata` with its cache and stale answers)
//! turned into the rows the v2 Atom writer renders for local versions.
use crate::domain::id::PackageId;
use crate::domain::records::EntryRecord;
use crate::domain::records::{DependencyGroupRecord, DependencyRecord, VersionRecord};
use crate::domain::version::NuGetVersion;
use crate::error::AppError;
use crate::protocol::urls::Hive;
use crate::state::AppState;
use serde_json::Value;

/// The version `GET /api/v2/package/{id}` serves for an upstream id, as for a local one: the
/// newest listed stable version, else the newest listed one (lowercase normalized).
pub async fn latest_version(state: &AppState, id_lower: &str) -> Result<Option<String>, AppError> {
    let Some(entries) = entries(state, id_lower, true).await? else {
        return Ok(None);
    };
    let pick = entries.iter().find(|e| e.is_latest).or_else(|| entries.iter().find(|e| e.is_absolute_latest));
    Ok(pick.map(|e| e.version.version_lower.clone()))
}

/// Most registration pages read for one id: a bound on what an upstream can make us fetch.
const MAX_PAGES: usize = 64;

/// Every version of an upstream id the client may see (SemVer 2.0 ones only when it opted in),
/// in version order; `None` when no upstream supplies the id.
pub async fn entries(state: &AppState, id_lower: &str, semver2: bool) -> Result<Option<Vec<EntryRecord>>, AppError> {
    let hive = Hive::GzipSemVer2;
    let Some(index) = super::metadata::registration(state, hive, id_lower, "index.json").await? else {
        return Ok(None);
    };
    let index: Value = serde_json::from_slice(&index.bytes).map_err(AppError::internal)?;
    let own_base = format!("{}{id_lower}/", state.urls.registration_base(hive));
    let mut catalog_entries = Vec::new();
    for page in index.get("items").and_then(Value::as_array).into_iter().flatten().take(MAX_PAGES) {
        let items = if let Some(items) = page.get("items").and_then(Value::as_array) {
            items.clone()
        } else {
            // Not inlined: the page's own document (its URL was rewritten to this server's).
            let Some(rest) = page.get("@id").and_then(Value::as_str).and_then(|u| u.strip_prefix(&own_base)) else {
                continue;
            };
            let Some(doc) = super::metadata::registration(state, hive, id_lower, rest).await? else {
                continue;
            };
            let doc: Value = serde_json::from_slice(&doc.bytes).map_err(AppError::internal)?;
            doc.get("items").and_then(Value::as_array).cloned().unwrap_or_default()
        };
        catalog_entries.extend(items.into_iter().filter_map(|leaf| leaf.get("catalogEntry").cloned()));
    }
    let mut versions: Vec<VersionRecord> = catalog_entries.iter().filter_map(version_record).collect();
    versions.retain(|v| semver2 || !v.is_semver2);
    versions.sort_by_cached_key(VersionRecord::version);
    versions.dedup_by(|a, b| a.version_lower == b.version_lower);
    let latest_stable = versions.iter().rposition(|v| v.listed && !v.is_prerelease);
    let latest = versions.iter().rposition(|v| v.listed);
    Ok(Some(
        versions
            .into_iter()
            .enumerate()
            .map(|(i, version)| EntryRecord {
                version,
                id_lower: id_lower.to_owned(),
                total_downloads: 0,
                owners: Vec::new(),
                is_latest: Some(i) == latest_stable,
                is_absolute_latest: Some(i) == latest,
            })
            .collect(),
    ))
}

/// An upstream v3 search hit as a v2 `Search()` entry: its latest version, flagged latest (stable
/// when the client excluded prereleases). A hit states no publish date: the entry carries the
/// time this server read it (`read_at`, RFC 3339), never nuget.org's 1900 "unlisted" date.
pub fn search_entry(hit: &Value, read_at: &str) -> Option<EntryRecord> {
    let mut version = version_record(hit)?;
    version.listed = true;
    version.downloads = hit
        .get("versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|v| {
            v.get("version").and_then(Value::as_str).is_some_and(|s| s.eq_ignore_ascii_case(&version.version_full))
        })
        .and_then(|v| v.get("downloads").and_then(Value::as_i64))
        .unwrap_or(0);
    read_at.clone_into(&mut version.created_at);
    read_at.clone_into(&mut version.published_at);
    read_at.clone_into(&mut version.last_edited_at);
    Some(EntryRecord {
        id_lower: PackageId::key_of(&version.package_id),
        total_downloads: hit.get("totalDownloads").and_then(Value::as_i64).unwrap_or(0),
        owners: match hit.get("owners") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            Some(Value::String(s)) => {
                s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
            }
            _ => Vec::new(),
        },
        is_latest: !version.is_prerelease,
        is_absolute_latest: true,
        version,
    })
}

fn text(entry: &Value, key: &str) -> Option<String> {
    entry.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// A string, or an array of strings joined (`authors` and `tags` come either way).
fn list(entry: &Value, key: &str, separator: &str) -> String {
    match entry.get(key) {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(separator),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// A registration catalog entry as the row a local version would have; `None` when it has no
/// parsable version.
fn version_record(entry: &Value) -> Option<VersionRecord> {
    let version = NuGetVersion::parse(entry.get("version")?.as_str()?).ok()?;
    let published = text(entry, "published").unwrap_or_default();
    let dependency_groups = entry
        .get("dependencyGroups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|g| DependencyGroupRecord {
            target_framework: text(g, "targetFramework"),
            dependencies: g
                .get("dependencies")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|d| {
                    Some(DependencyRecord { id: text(d, "id")?, range: text(d, "range").unwrap_or_default() })
                })
                .collect(),
        })
        .collect();
    let flag = |key: &str| entry.get(key).and_then(Value::as_bool).unwrap_or(false);
    Some(VersionRecord {
        key: 0,
        package_id: text(entry, "id").unwrap_or_default(),
        version_original: version.normalized(),
        version_normalized: version.normalized(),
        version_lower: version.lower_normalized(),
        version_full: version.full(),
        is_prerelease: version.is_prerelease(),
        is_semver2: version.is_semver2(),
        title: text(entry, "title"),
        authors: list(entry, "authors", ", "),
        description: text(entry, "description").unwrap_or_default(),
        summary: text(entry, "summary"),
        release_notes: text(entry, "releaseNotes"),
        copyright: text(entry, "copyright"),
        language: text(entry, "language"),
        tags: list(entry, "tags", " "),
        project_url: text(entry, "projectUrl"),
        icon_url: text(entry, "iconUrl"),
        icon_file: None,
        readme_file: None,
        license_url: text(entry, "licenseUrl"),
        license_expression: text(entry, "licenseExpression"),
        license_file: None,
        require_license_acceptance: flag("requireLicenseAcceptance"),
        development_dependency: false,
        min_client_version: text(entry, "minClientVersion"),
        repository_type: None,
        repository_url: None,
        package_types: Vec::new(),
        hash_sha512: text(entry, "packageHash").unwrap_or_default(),
        size: entry.get("packageSize").and_then(Value::as_i64).unwrap_or(0),
        listed: entry.get("listed").and_then(Value::as_bool).unwrap_or(true),
        status: crate::domain::version_status::VersionStatus::Available,
        status_reason: None,
        downloads: 0,
        created_at: published.clone(),
        published_at: published.clone(),
        last_edited_at: published,
        dependency_groups,
        // The v2 feed carries neither (as on nuget.org).
        deprecation: None,
        vulnerabilities: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_catalog_entry_becomes_a_version_row() {
        let entry = serde_json::json!({
            "id": "Up.App", "version": "1.0.0-Beta.1+build", "authors": ["a", "b"], "tags": ["x", "y"],
            "description": "d", "listed": false, "published": "2024-01-02T03:04:05Z",
            "dependencyGroups": [{"targetFramework": ".NETStandard2.0", "dependencies": [{"id": "Up.Lib", "range": "[1.0.0, )"}]}]
        });
        let v = version_record(&entry).unwrap();
        assert_eq!((v.package_id.as_str(), v.version_lower.as_str()), ("Up.App", "1.0.0-beta.1"));
        assert!(v.is_prerelease && v.is_semver2 && !v.listed);
        assert_eq!((v.authors.as_str(), v.tags.as_str()), ("a, b", "x y"));
        assert_eq!(
            v.dependency_groups[0].dependencies[0],
            DependencyRecord { id: "Up.Lib".into(), range: "[1.0.0, )".into() }
        );
        assert!(version_record(&serde_json::json!({"version": "not a version"})).is_none());
    }
}

//! An upstream feed's v3 search hit, read leniently (feeds differ: `authors` and `owners` are a
//! string on some, an array on others) and re-addressed to this server, so a client that follows
//! a hit's registration or version links reads them through here (and the read-through guard).
use super::urls::{Hive, UrlGenerator};
use super::v3::{PackageTypeJson, SearchResult, SearchVersion};
use crate::domain::id::PackageId;
use crate::domain::version::NuGetVersion;
use serde_json::Value;

fn text(hit: &Value, name: &str) -> String {
    hit.get(name).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// A field that is a string or an array of strings; a string is split on commas.
fn list(hit: &Value, name: &str) -> Vec<String> {
    match hit.get(name) {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        Some(Value::String(s)) => s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

fn lower_normalized(version: &str) -> Option<String> {
    NuGetVersion::parse(version).ok().map(|v| v.lower_normalized())
}

/// The hit as this server answers it, or `None` when it has no id or no valid version.
pub fn search_result(urls: &UrlGenerator, hive: Hive, hit: &Value, upstream: &str) -> Option<SearchResult> {
    let id = text(hit, "id");
    let version = text(hit, "version");
    if id.is_empty() || lower_normalized(&version).is_none() {
        return None;
    }
    let id_lower = PackageId::key_of(&id);
    let versions = hit
        .get("versions")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| {
                    let version = v.get("version")?.as_str()?.to_owned();
                    let lower = lower_normalized(&version)?;
                    Some(SearchVersion {
                        downloads: v.get("downloads").and_then(Value::as_i64).unwrap_or(0),
                        id_url: urls.registration_leaf(hive, &id_lower, &lower),
                        version,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let mut package_types: Vec<PackageTypeJson> = hit
        .get("packageTypes")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|t| t.get("name")?.as_str())
                .map(|name| PackageTypeJson { name: name.to_owned() })
                .collect()
        })
        .unwrap_or_default();
    if package_types.is_empty() {
        package_types.push(PackageTypeJson { name: "Dependency".into() });
    }
    let title = Some(text(hit, "title")).filter(|t| !t.is_empty()).unwrap_or_else(|| id.clone());
    Some(SearchResult {
        id_url: urls.registration_index(hive, &id_lower),
        kind: "Package",
        registration: urls.registration_index(hive, &id_lower),
        version,
        description: text(hit, "description"),
        summary: text(hit, "summary"),
        title,
        icon_url: text(hit, "iconUrl"),
        license_url: text(hit, "licenseUrl"),
        project_url: text(hit, "projectUrl"),
        tags: list(hit, "tags"),
        authors: list(hit, "authors"),
        owners: list(hit, "owners"),
        total_downloads: hit.get("totalDownloads").and_then(Value::as_i64).unwrap_or(0),
        verified: hit.get("verified").and_then(Value::as_bool).unwrap_or(false),
        package_types,
        versions,
        upstream: Some(upstream.to_owned()),
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn urls() -> UrlGenerator {
        UrlGenerator::new("http://galley.test")
    }

    #[test]
    fn a_hit_is_readdressed_to_this_server() {
        let hit = json!({
            "@id": "https://api.nuget.org/v3/registration5-semver1/newtonsoft.json/index.json",
            "registration": "https://api.nuget.org/v3/registration5-semver1/newtonsoft.json/index.json",
            "id": "Newtonsoft.Json", "version": "13.0.3", "description": "Json.NET",
            "authors": ["James Newton-King"], "owners": "dotnetfoundation, jamesnk", "tags": ["json"],
            "totalDownloads": 5, "verified": true,
            "versions": [{"version": "13.0.3", "downloads": 5, "@id": "https://api.nuget.org/x/13.0.3.json"}]
        });
        let r = search_result(&urls(), Hive::Legacy, &hit, "nuget.org").unwrap();
        assert_eq!(r.registration, "http://galley.test/v3/registration/newtonsoft.json/index.json");
        assert_eq!(r.versions[0].id_url, "http://galley.test/v3/registration/newtonsoft.json/13.0.3.json");
        assert_eq!(r.owners, ["dotnetfoundation", "jamesnk"]);
        assert_eq!(r.title, "Newtonsoft.Json");
        assert_eq!(r.package_types[0].name, "Dependency");
        assert_eq!(r.upstream.as_deref(), Some("nuget.org"));
    }

    #[test]
    fn a_hit_without_an_id_or_a_version_is_dropped() {
        assert!(search_result(&urls(), Hive::Legacy, &json!({"version": "1.0.0"}), "u").is_none());
        assert!(search_result(&urls(), Hive::Legacy, &json!({"id": "A", "version": "not a version"}), "u").is_none());
    }
}

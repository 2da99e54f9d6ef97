//! The package page's view: what `package.html` prints, built from the service's details.
use super::cards::{icon, owner_link, tag_link, version_without_metadata, Link};
use super::license::{self, LicensePart};
use super::snippets::{self, Snippet};
use super::{format, readme};
use crate::domain::records::{DependencyGroupRecord, PackageRecord, VersionRecord};
use crate::domain::version_range::VersionRange;
use crate::domain::version_status::VersionStatus;
use crate::protocol::urls::UrlGenerator;
use crate::services::package_details::{PackageDetails, Viewer};

pub enum LicenseView {
    Expression(Vec<LicensePart>),
    File(String),
    Url(String),
    None,
}

pub struct DependencyGroupView {
    pub framework: String,
    pub dependencies: Vec<DependencyView>,
}

pub struct DependencyView {
    pub id: String,
    pub url: String,
    pub range: String,
}

pub struct VersionRow {
    pub version: String,
    pub url: String,
    pub downloads: String,
    pub published: String,
    pub listed: bool,
    pub current: bool,
    /// For owners: "Validating", "Failed validation"… on versions that are not available.
    pub status: Option<&'static str>,
}

/// The deprecation banner: nuget.org's wording, the owner's message and the alternate package.
pub struct DeprecationView {
    /// "This package version is deprecated: it is no longer maintained and has critical bugs."
    pub summary: String,
    pub message: Option<String>,
    /// (alternate id, its portal URL, the range as nuget.org prints it or "" for any version).
    pub alternate: Option<(String, String, String)>,
}

/// One advisory matching the shown version.
pub struct VulnerabilityView {
    pub severity: &'static str,
    /// Only an http(s) URL becomes a link.
    pub url: Option<String>,
    pub text: String,
}

pub struct PackageView {
    pub id: String,
    pub version: String,
    pub title: String,
    pub icon: String,
    pub verified: bool,
    pub description: String,
    pub authors: String,
    pub owners: Vec<Link>,
    pub tags: Vec<Link>,
    pub total_downloads: String,
    pub version_downloads: String,
    pub published: String,
    pub listed: bool,
    pub is_prerelease: bool,
    pub status_message: Option<&'static str>,
    pub newer_version: Option<String>,
    pub newer_prerelease: Option<String>,
    pub not_indexed: bool,
    /// "Mirrored from the upstream '…', fetched …" for a read-through version.
    pub mirrored: Option<String>,
    pub readme_html: Option<String>,
    pub release_notes: Option<String>,
    pub snippets: Vec<Snippet>,
    pub source_url: String,
    pub dependency_groups: Vec<DependencyGroupView>,
    pub versions: Vec<VersionRow>,
    pub license: LicenseView,
    pub project_url: Option<String>,
    pub repository_url: Option<String>,
    pub size: String,
    pub hash: String,
    pub download_url: String,
    pub report_abuse_url: String,
    /// Set when the version has a symbol package.
    pub symbols: Option<SymbolsView>,
    pub deprecation: Option<DeprecationView>,
    pub vulnerabilities: Vec<VulnerabilityView>,
}

/// "Symbols available": where the symbol server is (for Visual Studio) and the `.snupkg`.
pub struct SymbolsView {
    pub server_url: String,
    pub download_url: String,
}

fn deprecation_view(urls: &UrlGenerator, d: &crate::domain::records::DeprecationRecord) -> DeprecationView {
    use crate::domain::deprecation::Reason;
    let labels: Vec<&str> = Reason::ALL
        .into_iter()
        .filter(|r| d.reasons.iter().any(|s| s == r.as_str()))
        .filter_map(Reason::label)
        .collect();
    DeprecationView {
        summary: if labels.is_empty() {
            "This package version is deprecated.".to_owned()
        } else {
            format!("This package version is deprecated: it {}.", labels.join(" and "))
        },
        message: d.message.clone(),
        alternate: d.alternate_id.as_ref().map(|id| {
            let range = d.alternate_range.as_deref().map(pretty_range).unwrap_or_default();
            (id.clone(), urls.portal_package(id), range)
        }),
    }
}

fn vulnerability_views(v: &VersionRecord) -> Vec<VulnerabilityView> {
    v.vulnerabilities
        .iter()
        .map(|a| VulnerabilityView {
            severity: crate::domain::advisory::Severity::from_number(a.severity).name(),
            url: crate::domain::web_url::parse(&a.advisory_url).map(String::from),
            text: a.advisory_url.clone(),
        })
        .collect()
}

/// nuget.org's text for versions that are not (yet) served.
pub fn status_message(status: VersionStatus) -> Option<&'static str> {
    match status {
        VersionStatus::Validating => Some("This package has not been scanned yet."),
        VersionStatus::Failed | VersionStatus::Quarantined => Some("This package failed validation."),
        VersionStatus::Available | VersionStatus::Deleted => None,
    }
}

/// Only http(s) links from a nuspec become links; anything else (`javascript:`) is dropped.
fn web_link(url: Option<&String>) -> Option<String> {
    url.and_then(|u| crate::domain::web_url::parse(u)).map(String::from)
}

/// `[1.0.0, 2.0.0)` → `>= 1.0.0 && < 2.0.0`, as nuget.org prints ranges.
pub fn pretty_range(range: &str) -> String {
    let Ok(parsed) = VersionRange::parse(range) else { return range.to_owned() };
    match (parsed.min(), parsed.max()) {
        (Some(min), Some(max)) if min == max => format!("= {}", min.normalized()),
        (min, max) => {
            let low = min.map(|v| format!("{} {}", if parsed.is_min_inclusive() { ">=" } else { ">" }, v.normalized()));
            let high =
                max.map(|v| format!("{} {}", if parsed.is_max_inclusive() { "<=" } else { "<" }, v.normalized()));
            match (low, high) {
                (Some(l), Some(h)) => format!("{l} && {h}"),
                (Some(one), None) | (None, Some(one)) => one,
                (None, None) => ">= 0.0.0".to_owned(),
            }
        }
    }
}

fn dependency_groups(urls: &UrlGenerator, groups: &[DependencyGroupRecord]) -> Vec<DependencyGroupView> {
    groups
        .iter()
        .map(|g| DependencyGroupView {
            framework: g.target_framework.clone().filter(|f| !f.is_empty()).unwrap_or_else(|| "All frameworks".into()),
            dependencies: g
                .dependencies
                .iter()
                .map(|d| DependencyView {
                    id: d.id.clone(),
                    url: urls.portal_package(&d.id),
                    range: pretty_range(&d.range),
                })
                .collect(),
        })
        .collect()
}

/// Newest first. Unlisted versions only on their own page (or for owners), as on nuget.org.
fn version_rows(urls: &UrlGenerator, package: &PackageRecord, current: usize, viewer: Viewer) -> Vec<VersionRow> {
    package
        .versions
        .iter()
        .enumerate()
        .rev()
        .filter(|(i, v)| *i == current || v.listed_for(viewer.sees_hidden))
        .map(|(i, v)| VersionRow {
            version: version_without_metadata(&v.version_full).to_owned(),
            url: urls.portal_package_version(&package.package_id, &v.version_normalized),
            downloads: format::count(v.downloads),
            published: format::date(&v.published_at),
            listed: v.listed,
            current: i == current,
            status: match v.status {
                VersionStatus::Validating => Some("Validating"),
                VersionStatus::Failed => Some("Failed validation"),
                VersionStatus::Quarantined => Some("Quarantined"),
                VersionStatus::Available | VersionStatus::Deleted => None,
            },
        })
        .collect()
}

fn license(urls: &UrlGenerator, v: &VersionRecord) -> LicenseView {
    if let Some(expression) = v.license_expression.as_deref().filter(|e| !e.trim().is_empty()) {
        LicenseView::Expression(license::parts(expression))
    } else if v.license_file.is_some() {
        LicenseView::File(urls.portal_license(&v.package_id, &v.version_normalized))
    } else if let Some(url) = web_link(v.license_url.as_ref()) {
        LicenseView::Url(url)
    } else {
        LicenseView::None
    }
}

/// A newer listed version than the one shown: (newer anything, newer prerelease of the latest stable).
fn newer_versions(urls: &UrlGenerator, package: &PackageRecord, current: usize) -> (Option<String>, Option<String>) {
    let shown = &package.versions[current];
    let newer = |v: &&VersionRecord| v.in_public_lists();
    let later = &package.versions[current + 1..];
    let link = |v: &VersionRecord| urls.portal_package_version(&v.package_id, &v.version_normalized);
    if let Some(stable) = later.iter().filter(newer).rfind(|v| !v.is_prerelease) {
        return (Some(link(stable)), None);
    }
    match later.iter().rfind(newer) {
        Some(pre) if !shown.is_prerelease => (None, Some(link(pre))),
        Some(pre) => (Some(link(pre)), None),
        None => (None, None),
    }
}

impl PackageView {
    pub fn new(urls: &UrlGenerator, details: &PackageDetails, viewer: Viewer, default_icon: &str) -> Self {
        let package = &details.page.package;
        let current = details.page.selected;
        let v = details.page.version();
        let icon_url =
            if v.icon_file.is_some() { urls.icon(&package.id_lower, &v.version_lower) } else { String::new() };
        let (newer_version, newer_prerelease) = newer_versions(urls, package, current);
        Self {
            id: package.package_id.clone(),
            version: v.version_normalized.clone(),
            title: v.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| package.package_id.clone()),
            icon: icon(urls, &icon_url, default_icon),
            verified: package.verified,
            description: v.description.clone(),
            authors: v.author_list().join(", "),
            owners: package.owners.iter().map(|o| owner_link(urls, o)).collect(),
            tags: v.tag_list().iter().map(|t| tag_link(urls, t)).collect(),
            total_downloads: format::count(package.total_downloads),
            version_downloads: format::count(v.downloads),
            published: format::date(&v.published_at),
            listed: v.listed,
            is_prerelease: v.is_prerelease,
            status_message: status_message(v.status),
            newer_version,
            newer_prerelease,
            not_indexed: !details.indexed,
            mirrored: details.mirrored.as_ref().map(|(upstream, fetched)| {
                format!(
                    "Mirrored from the upstream '{upstream}', fetched {}.",
                    fetched.replace('T', " ").trim_end_matches('Z')
                )
            }),
            readme_html: details.readme.as_deref().map(readme::render),
            release_notes: v.release_notes.clone().filter(|n| !n.trim().is_empty()),
            snippets: snippets::install(&package.package_id, &v.version_normalized),
            source_url: urls.service_index(),
            dependency_groups: dependency_groups(urls, &v.dependency_groups),
            versions: version_rows(urls, package, current, viewer),
            license: license(urls, v),
            project_url: web_link(v.project_url.as_ref()),
            repository_url: web_link(v.repository_url.as_ref()),
            size: format::size(v.size),
            hash: v.hash_sha512.clone(),
            download_url: urls.site_path(&urls.package_content(&package.id_lower, &v.version_lower)),
            report_abuse_url: urls.portal_report_abuse(&package.package_id, &v.version_normalized),
            symbols: None,
            deprecation: v.deprecation.as_ref().map(|d| deprecation_view(urls, d)),
            vulnerabilities: vulnerability_views(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_read_like_nuget_org() {
        assert_eq!(pretty_range("[1.0.0, )"), ">= 1.0.0");
        assert_eq!(pretty_range("[1.0.0, 2.0.0)"), ">= 1.0.0 && < 2.0.0");
        assert_eq!(pretty_range("[1.2.3]"), "= 1.2.3");
        assert_eq!(pretty_range("(, 3.0.0]"), "<= 3.0.0");
        assert_eq!(pretty_range(""), ">= 0.0.0");
    }

    #[test]
    fn status_messages() {
        assert_eq!(status_message(VersionStatus::Validating), Some("This package has not been scanned yet."));
        assert_eq!(status_message(VersionStatus::Quarantined), Some("This package failed validation."));
        assert_eq!(status_message(VersionStatus::Available), None);
    }

    #[test]
    fn only_web_links_survive() {
        assert_eq!(web_link(Some(&"javascript:alert(1)".to_owned())), None);
        assert_eq!(web_link(Some(&"https://x.example/".to_owned())).as_deref(), Some("https://x.example/"));
    }
}

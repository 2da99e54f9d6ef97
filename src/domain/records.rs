//! Rows read back for the feeds and the portal: everything a rendered document needs about a version.
use crate::domain::version_status::VersionStatus;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyRecord {
    pub id: String,
    /// Normalized range text ("[1.0.0, )"); empty means any version.
    pub range: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyGroupRecord {
    pub target_framework: Option<String>,
    pub dependencies: Vec<DependencyRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageTypeRecord {
    pub name: String,
    pub version: Option<String>,
}

/// One stored id+version with its metadata, as the feeds render it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionRecord {
    pub key: i64,
    pub package_id: String,
    pub version_original: String,
    pub version_normalized: String,
    pub version_lower: String,
    pub version_full: String,
    pub is_prerelease: bool,
    pub is_semver2: bool,
    pub title: Option<String>,
    pub authors: String,
    pub description: String,
    pub summary: Option<String>,
    pub release_notes: Option<String>,
    pub copyright: Option<String>,
    pub language: Option<String>,
    pub tags: String,
    pub project_url: Option<String>,
    pub icon_url: Option<String>,
    pub icon_file: Option<String>,
    pub readme_file: Option<String>,
    pub license_url: Option<String>,
    pub license_expression: Option<String>,
    pub license_file: Option<String>,
    pub require_license_acceptance: bool,
    pub development_dependency: bool,
    pub min_client_version: Option<String>,
    pub repository_type: Option<String>,
    pub repository_url: Option<String>,
    pub package_types: Vec<PackageTypeRecord>,
    pub hash_sha512: String,
    pub size: i64,
    pub listed: bool,
    pub status: VersionStatus,
    pub status_reason: Option<String>,
    pub downloads: i64,
    pub created_at: String,
    pub published_at: String,
    pub last_edited_at: String,
    pub dependency_groups: Vec<DependencyGroupRecord>,
    /// Loaded with the full package (`packages::load`), not by the v2 feed's queries.
    pub deprecation: Option<DeprecationRecord>,
    pub vulnerabilities: Vec<VulnerabilityRecord>,
}

impl VersionRecord {
    pub fn is_available(&self) -> bool {
        self.status == VersionStatus::Available
    }

    /// Whether this viewer may open this version's page (and a client restore it): see
    /// `VersionStatus::visible_to`. Unlisted versions stay visible by exact version, as on nuget.org.
    pub fn visible_to(&self, sees_hidden: bool) -> bool {
        self.status.visible_to(sees_hidden)
    }

    /// Whether it appears in a list of versions: listed available ones for everyone, plus every
    /// version an owner or administrator may see.
    pub fn listed_for(&self, sees_hidden: bool) -> bool {
        self.in_public_lists() || self.visible_to(sees_hidden) && sees_hidden
    }

    /// Listed and available: what every list shows everyone (search, "latest", newer-version
    /// links, the version history of an anonymous viewer).
    pub fn in_public_lists(&self) -> bool {
        self.is_available() && self.listed
    }

    pub fn tag_list(&self) -> Vec<String> {
        self.tags.split_whitespace().map(str::to_owned).collect()
    }

    pub fn author_list(&self) -> Vec<String> {
        self.authors.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned).collect()
    }

    /// The parsed version; rows only ever hold versions that parsed on the way in.
    pub fn version(&self) -> crate::domain::version::NuGetVersion {
        crate::domain::version::NuGetVersion::parse(&self.version_full)
            .unwrap_or_else(|_| crate::domain::version::NuGetVersion::new(0, 0, 0))
    }
}

/// A package id with the stored versions of it (all statuses; callers filter).
#[derive(Debug, Clone)]
pub struct PackageRecord {
    pub key: i64,
    pub package_id: String,
    pub id_lower: String,
    pub total_downloads: i64,
    pub verified: bool,
    /// The upstream a mirrored id was read through from; `None` for a local id.
    pub upstream: Option<String>,
    pub owners: Vec<String>,
    /// Sorted ascending by NuGet version order.
    pub versions: Vec<VersionRecord>,
}

impl PackageRecord {
    /// Versions that clients may see at all.
    pub fn available(&self) -> impl Iterator<Item = &VersionRecord> {
        self.versions.iter().filter(|v| v.is_available())
    }

    /// The versions search, autocomplete and "latest" show a client with these flags: listed
    /// available ones, prereleases and SemVer 2.0 ones only when asked for. The one rule every
    /// search-like answer uses.
    pub fn searchable(
        &self,
        include_prerelease: bool,
        include_semver2: bool,
    ) -> impl Iterator<Item = &VersionRecord> + '_ {
        self.versions.iter().filter(move |v| {
            v.in_public_lists() && shown_under((v.is_prerelease, v.is_semver2), (include_prerelease, include_semver2))
        })
    }

    /// The newest listed available version matching the flags (nuget.org's "latest").
    pub fn latest(&self, include_prerelease: bool, include_semver2: bool) -> Option<&VersionRecord> {
        self.searchable(include_prerelease, include_semver2).last()
    }
}

/// Whether a client asking with these flags (include prerelease, include SemVer 2.0) sees a
/// listed version of this kind (is prerelease, is SemVer 2.0): prereleases and SemVer 2.0
/// versions only when asked for. Search's one rule (`PackageRecord::searchable`,
/// `SearchEntry::searchable`).
pub fn shown_under(
    (is_prerelease, is_semver2): (bool, bool),
    (include_prerelease, include_semver2): (bool, bool),
) -> bool {
    (include_prerelease || !is_prerelease) && (include_semver2 || !is_semver2)
}

/// Everything an entry of the v2 feed shows.
#[derive(Debug, Clone)]
pub struct EntryRecord {
    pub version: VersionRecord,
    pub id_lower: String,
    pub total_downloads: i64,
    pub owners: Vec<String>,
    pub is_latest: bool,
    pub is_absolute_latest: bool,
}

/// An owner's deprecation of a version, as stored (wire names for the reasons).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeprecationRecord {
    pub reasons: Vec<String>,
    pub message: Option<String>,
    pub alternate_id: Option<String>,
    /// `None`: any version of the alternate.
    pub alternate_range: Option<String>,
}

/// An advisory that matches a version: what its registration leaf carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VulnerabilityRecord {
    pub advisory_url: String,
    /// nuget.org's number: 0 low … 3 critical.
    pub severity: i64,
}

/// A recorded advisory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdvisoryRecord {
    pub id: i64,
    pub package_id: String,
    pub version_range: String,
    pub severity: i64,
    pub url: String,
    pub created_at: String,
}

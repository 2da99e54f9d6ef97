//! What a search hit shows of one id, kept small enough to hold for every id in memory beside the
//! search index (`cache::search_index`): the listed versions with their counts, and the metadata
//! of only those versions that are "latest" under some pair of client flags. A search page is
//! rendered from these (`protocol::v3::search_result`) without reading the database.
use crate::domain::records::{shown_under, PackageRecord, VersionRecord};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchEntry {
    pub package_id: Box<str>,
    pub id_lower: Box<str>,
    pub total_downloads: i64,
    pub verified: bool,
    pub upstream: Option<Box<str>>,
    pub owners: Box<[Box<str>]>,
    /// Listed available versions only (no flag shows any other), ascending by NuGet order.
    pub versions: Box<[EntryVersion]>,
    /// The metadata of the versions some flags make the latest (at most four, usually one).
    latest: Box<[LatestMetadata]>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryVersion {
    pub version_full: Box<str>,
    /// `None` when equal to `version_full` (no build metadata): most versions.
    normalized: Option<Box<str>>,
    /// `None` when equal to `version_full`.
    lower: Option<Box<str>>,
    pub is_prerelease: bool,
    pub is_semver2: bool,
    pub downloads: i64,
}

impl EntryVersion {
    pub fn version_normalized(&self) -> &str {
        self.normalized.as_deref().unwrap_or(&self.version_full)
    }

    pub fn version_lower(&self) -> &str {
        self.lower.as_deref().unwrap_or(&self.version_full)
    }
}

/// The fields of a search hit taken from its latest version, already split as the wire wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestMetadata {
    /// Index into `SearchEntry::versions`.
    version: usize,
    pub description: Box<str>,
    pub summary: Option<Box<str>>,
    pub title: Option<Box<str>>,
    pub icon_url: Option<Box<str>>,
    /// The package carries its icon file (served by this server) rather than a URL.
    pub has_icon_file: bool,
    pub license_url: Option<Box<str>>,
    pub project_url: Option<Box<str>>,
    pub tags: Box<[Box<str>]>,
    pub authors: Box<[Box<str>]>,
    pub package_types: Box<[Box<str>]>,
}

/// The four pairs of client flags (prerelease, SemVer 2.0) a search can be asked with.
const FLAGS: [(bool, bool); 4] = [(false, false), (true, false), (false, true), (true, true)];

fn boxed(s: &str) -> Box<str> {
    s.into()
}

fn unless_equal(s: &str, to: &str) -> Option<Box<str>> {
    (s != to).then(|| boxed(s))
}

impl SearchEntry {
    /// The entry of a package (loaded with its versions and owners); `None` when no version is
    /// listed and available, as no search shows it then.
    pub fn of(package: &PackageRecord) -> Option<Self> {
        let listed: Vec<&VersionRecord> = package.versions.iter().filter(|v| v.in_public_lists()).collect();
        if listed.is_empty() {
            return None;
        }
        let mut latest: Vec<LatestMetadata> = Vec::new();
        for (prerelease, semver2) in FLAGS {
            let newest =
                listed.iter().rposition(|v| shown_under((v.is_prerelease, v.is_semver2), (prerelease, semver2)));
            if let Some(i) = newest.filter(|i| !latest.iter().any(|m| m.version == *i)) {
                latest.push(LatestMetadata::of(i, listed[i]));
            }
        }
        Some(SearchEntry {
            package_id: boxed(&package.package_id),
            id_lower: boxed(&package.id_lower),
            total_downloads: package.total_downloads,
            verified: package.verified,
            upstream: package.upstream.as_deref().map(boxed),
            owners: package.owners.iter().map(|o| boxed(o)).collect(),
            versions: listed
                .iter()
                .map(|v| EntryVersion {
                    version_full: boxed(&v.version_full),
                    normalized: unless_equal(&v.version_normalized, &v.version_full),
                    lower: unless_equal(&v.version_lower, &v.version_full),
                    is_prerelease: v.is_prerelease,
                    is_semver2: v.is_semver2,
                    downloads: v.downloads,
                })
                .collect(),
            latest: latest.into(),
        })
    }

    /// The versions a client with these flags sees, ascending (the rule of `PackageRecord::searchable`).
    pub fn searchable(&self, include_prerelease: bool, include_semver2: bool) -> impl Iterator<Item = &EntryVersion> {
        self.versions
            .iter()
            .filter(move |v| shown_under((v.is_prerelease, v.is_semver2), (include_prerelease, include_semver2)))
    }

    /// The latest version under these flags with its metadata; `None` when they show none.
    pub fn latest(&self, include_prerelease: bool, include_semver2: bool) -> Option<(&EntryVersion, &LatestMetadata)> {
        let i = self
            .versions
            .iter()
            .rposition(|v| shown_under((v.is_prerelease, v.is_semver2), (include_prerelease, include_semver2)))?;
        let metadata = self.latest.iter().find(|m| m.version == i)?;
        Some((&self.versions[i], metadata))
    }

    /// Bytes this entry holds on the heap and inline: what `[cache]` sizing reports per id.
    pub fn size(&self) -> usize {
        let opt = |s: &Option<Box<str>>| s.as_deref().map_or(0, str::len);
        let list = |l: &[Box<str>]| l.iter().map(|s| s.len() + size_of::<Box<str>>()).sum::<usize>();
        let versions: usize = self
            .versions
            .iter()
            .map(|v| size_of::<EntryVersion>() + v.version_full.len() + opt(&v.normalized) + opt(&v.lower))
            .sum();
        let latest: usize = self
            .latest
            .iter()
            .map(|m| {
                size_of::<LatestMetadata>()
                    + m.description.len()
                    + [&m.summary, &m.title, &m.icon_url, &m.license_url, &m.project_url]
                        .into_iter()
                        .map(opt)
                        .sum::<usize>()
                    + list(&m.tags)
                    + list(&m.authors)
                    + list(&m.package_types)
            })
            .sum();
        size_of::<Self>()
            + self.package_id.len()
            + self.id_lower.len()
            + opt(&self.upstream)
            + list(&self.owners)
            + versions
            + latest
    }
}

impl LatestMetadata {
    fn of(version: usize, v: &VersionRecord) -> Self {
        let list = |items: Vec<String>| items.iter().map(|s| boxed(s)).collect();
        LatestMetadata {
            version,
            description: boxed(&v.description),
            summary: v.summary.as_deref().map(boxed),
            title: v.title.as_deref().map(boxed),
            icon_url: v.icon_url.as_deref().map(boxed),
            has_icon_file: v.icon_file.is_some(),
            license_url: v.license_url.as_deref().map(boxed),
            project_url: v.project_url.as_deref().map(boxed),
            tags: list(v.tag_list()),
            authors: list(v.author_list()),
            package_types: v.package_types.iter().map(|t| boxed(&t.name)).collect(),
        }
    }
}

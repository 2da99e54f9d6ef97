//! What a search hit shows of one id, kept small enough to hold for every id in memory beside the
//! search index (`cache::search_index`): the listed versions with their counts, and the metadata
//! of only those versions that are "latest" under some pair of client flags. A search page is
//! rendered from these (`protocol::v3::search_result`) without reading the database.
//!
//! Compact by design: an entry's strings live in a few packed allocations (`PackedStrs`), not one
//! allocation per string, and two "latest" versions with the same metadata hold it once.
use crate::domain::packed_strs::{Field, PackedStrs};
use crate::domain::records::{shown_under, PackageRecord, VersionRecord};

/// An allocator's own cost per allocation (glibc: an 8-byte header, rounded to 16), counted so
/// that `size` reports what the process holds, not only what the fields ask for.
const PER_ALLOCATION: usize = 16;

/// Positions in `SearchEntry::names`.
const PACKAGE_ID: usize = 0;
const ID_LOWER: usize = 1;
const UPSTREAM: usize = 2;
const OWNERS: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchEntry {
    /// The id as published, the lowercase id (absent when equal), the upstream, the owners.
    names: PackedStrs<4>,
    pub total_downloads: i64,
    pub verified: bool,
    /// Every listed version's strings end to end; `EntryVersion` says where each one's are.
    version_text: Box<str>,
    /// Listed available versions only (no flag shows any other), ascending by NuGet order.
    versions: Box<[EntryVersion]>,
    /// The metadata of the versions some flags make the latest (at most four, usually one).
    latest: Box<[LatestMetadata]>,
}

/// Where one version's strings are in `SearchEntry::version_text`: the full version, then the
/// normalized and the lowercase form when they differ from it (only with build metadata or
/// upper-case letters).
#[derive(Debug, Clone, PartialEq, Eq)]
struct EntryVersion {
    start: u32,
    full_len: u32,
    /// 0: equal to the full version (a version is never empty).
    normalized_len: u32,
    /// 0: equal to the full version.
    lower_len: u32,
    downloads: i64,
    is_prerelease: bool,
    is_semver2: bool,
}

/// One listed version of an entry, as the renderer reads it.
#[derive(Clone, Copy)]
pub struct VersionView<'a> {
    entry: &'a SearchEntry,
    version: &'a EntryVersion,
}

impl<'a> VersionView<'a> {
    fn text(&self, offset: u32, len: u32) -> &'a str {
        let start = (self.version.start + offset) as usize;
        &self.entry.version_text[start..start + len as usize]
    }

    pub fn version_full(&self) -> &'a str {
        self.text(0, self.version.full_len)
    }

    pub fn version_normalized(&self) -> &'a str {
        match self.version.normalized_len {
            0 => self.version_full(),
            len => self.text(self.version.full_len, len),
        }
    }

    pub fn version_lower(&self) -> &'a str {
        match self.version.lower_len {
            0 => self.version_full(),
            len => self.text(self.version.full_len + self.version.normalized_len, len),
        }
    }

    pub fn downloads(&self) -> i64 {
        self.version.downloads
    }
}

/// Positions in `LatestMetadata::fields`.
const DESCRIPTION: usize = 0;
const SUMMARY: usize = 1;
const TITLE: usize = 2;
const ICON_URL: usize = 3;
const LICENSE_URL: usize = 4;
const PROJECT_URL: usize = 5;
const TAGS: usize = 6;
const AUTHORS: usize = 7;
const PACKAGE_TYPES: usize = 8;

/// The fields of a search hit taken from its latest version, already split as the wire wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestMetadata {
    /// Index into `SearchEntry::versions`.
    version: u32,
    /// The package carries its icon file (served by this server) rather than a URL.
    pub has_icon_file: bool,
    fields: PackedStrs<9>,
}

impl LatestMetadata {
    pub fn description(&self) -> &str {
        self.fields.get(DESCRIPTION).unwrap_or_default()
    }

    pub fn summary(&self) -> Option<&str> {
        self.fields.get(SUMMARY)
    }

    pub fn title(&self) -> Option<&str> {
        self.fields.get(TITLE)
    }

    pub fn icon_url(&self) -> Option<&str> {
        self.fields.get(ICON_URL)
    }

    pub fn license_url(&self) -> Option<&str> {
        self.fields.get(LICENSE_URL)
    }

    pub fn project_url(&self) -> Option<&str> {
        self.fields.get(PROJECT_URL)
    }

    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.fields.list(TAGS)
    }

    pub fn authors(&self) -> impl Iterator<Item = &str> {
        self.fields.list(AUTHORS)
    }

    pub fn package_types(&self) -> impl Iterator<Item = &str> {
        self.fields.list(PACKAGE_TYPES)
    }

    fn of(version: usize, v: &VersionRecord) -> Self {
        let tags = v.tag_list();
        let authors = v.author_list();
        let package_types: Vec<&str> = v.package_types.iter().map(|t| t.name.as_str()).collect();
        LatestMetadata {
            version: u32::try_from(version).expect("fewer than 4 billion versions"),
            has_icon_file: v.icon_file.is_some(),
            fields: PackedStrs::build([
                Field::Text(Some(&v.description)),
                Field::Text(v.summary.as_deref()),
                Field::Text(v.title.as_deref()),
                Field::Text(v.icon_url.as_deref()),
                Field::Text(v.license_url.as_deref()),
                Field::Text(v.project_url.as_deref()),
                Field::List(&as_strs(&tags)),
                Field::List(&as_strs(&authors)),
                Field::List(&package_types),
            ]),
        }
    }
}

fn as_strs(items: &[String]) -> Vec<&str> {
    items.iter().map(String::as_str).collect()
}

/// The four pairs of client flags (prerelease, SemVer 2.0) a search can be asked with.
const FLAGS: [(bool, bool); 4] = [(false, false), (true, false), (false, true), (true, true)];

fn len_u32(s: &str) -> u32 {
    u32::try_from(s.len()).expect("a version under 4 GiB")
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
            if let Some(i) = newest.filter(|i| !latest.iter().any(|m| m.version as usize == *i)) {
                let mut metadata = LatestMetadata::of(i, listed[i]);
                // Versions of one id mostly repeat their metadata: hold it once.
                for earlier in &latest {
                    metadata.fields.share_with(&earlier.fields);
                }
                latest.push(metadata);
            }
        }
        let mut version_text = String::new();
        let mut versions = Vec::with_capacity(listed.len());
        for v in &listed {
            let start = len_u32(&version_text);
            version_text.push_str(&v.version_full);
            let mut extra = |form: &str| {
                if form == v.version_full {
                    0
                } else {
                    version_text.push_str(form);
                    len_u32(form)
                }
            };
            let normalized_len = extra(&v.version_normalized);
            let lower_len = extra(&v.version_lower);
            versions.push(EntryVersion {
                start,
                full_len: len_u32(&v.version_full),
                normalized_len,
                lower_len,
                downloads: v.downloads,
                is_prerelease: v.is_prerelease,
                is_semver2: v.is_semver2,
            });
        }
        let owners: Vec<&str> = package.owners.iter().map(String::as_str).collect();
        Some(SearchEntry {
            names: PackedStrs::build([
                Field::Text(Some(&package.package_id)),
                Field::Text((package.id_lower != package.package_id).then_some(package.id_lower.as_str())),
                Field::Text(package.upstream.as_deref()),
                Field::List(&owners),
            ]),
            total_downloads: package.total_downloads,
            verified: package.verified,
            version_text: version_text.into(),
            versions: versions.into(),
            latest: latest.into(),
        })
    }

    pub fn package_id(&self) -> &str {
        self.names.get(PACKAGE_ID).unwrap_or_default()
    }

    pub fn id_lower(&self) -> &str {
        self.names.get(ID_LOWER).unwrap_or_else(|| self.package_id())
    }

    pub fn upstream(&self) -> Option<&str> {
        self.names.get(UPSTREAM)
    }

    pub fn owners(&self) -> impl Iterator<Item = &str> {
        self.names.list(OWNERS)
    }

    fn view<'a>(&'a self, version: &'a EntryVersion) -> VersionView<'a> {
        VersionView { entry: self, version }
    }

    /// The versions a client with these flags sees, ascending (the rule of `PackageRecord::searchable`).
    pub fn searchable(&self, include_prerelease: bool, include_semver2: bool) -> impl Iterator<Item = VersionView<'_>> {
        self.versions
            .iter()
            .filter(move |v| shown_under((v.is_prerelease, v.is_semver2), (include_prerelease, include_semver2)))
            .map(|v| self.view(v))
    }

    /// The latest version under these flags with its metadata; `None` when they show none.
    pub fn latest(
        &self,
        include_prerelease: bool,
        include_semver2: bool,
    ) -> Option<(VersionView<'_>, &LatestMetadata)> {
        let i = self
            .versions
            .iter()
            .rposition(|v| shown_under((v.is_prerelease, v.is_semver2), (include_prerelease, include_semver2)))?;
        let metadata = self.latest.iter().find(|m| m.version as usize == i)?;
        Some((self.view(&self.versions[i]), metadata))
    }

    /// Bytes this entry holds, inline and on the heap, with the allocator's own cost per
    /// allocation (the `Arc` the cache keeps it in included): what `[cache] search_mb` counts.
    pub fn size(&self) -> usize {
        let mut allocations = 5; // the Arc around the entry, names, version text, versions, latest
        let mut bytes = 2 * size_of::<usize>() + size_of::<Self>();
        bytes += self.names.heap_bytes() + self.version_text.len();
        bytes += self.versions.len() * size_of::<EntryVersion>();
        bytes += self.latest.len() * size_of::<LatestMetadata>();
        for (i, metadata) in self.latest.iter().enumerate() {
            // A shared text is counted at its first holder only.
            if !self.latest[..i].iter().any(|earlier| earlier.fields.shares_with(&metadata.fields)) {
                bytes += metadata.fields.heap_bytes();
                allocations += 1;
            }
        }
        bytes + allocations * PER_ALLOCATION
    }
}

#[cfg(test)]
mod tests {
    use super::SearchEntry;
    use crate::domain::records::{PackageRecord, PackageTypeRecord, VersionRecord};
    use crate::domain::version_status::VersionStatus;

    fn version(full: &str, description: &str) -> VersionRecord {
        VersionRecord {
            version_full: full.to_owned(),
            version_normalized: full.split('+').next().unwrap().to_owned(),
            version_lower: full.to_lowercase(),
            is_prerelease: full.contains('-'),
            is_semver2: full.contains('+') || full.split('-').nth(1).is_some_and(|p| p.contains('.')),
            listed: true,
            status: VersionStatus::Available,
            description: description.to_owned(),
            tags: "json  http".to_owned(),
            authors: "Acme, Contoso ,".to_owned(),
            package_types: vec![PackageTypeRecord { name: "Dependency".to_owned(), version: None }],
            ..VersionRecord::default()
        }
    }

    fn package(versions: Vec<VersionRecord>) -> PackageRecord {
        PackageRecord {
            key: 1,
            package_id: "Acme.Json".to_owned(),
            id_lower: "acme.json".to_owned(),
            total_downloads: 0,
            verified: false,
            upstream: None,
            owners: vec!["alice".to_owned(), "bob".to_owned()],
            versions,
        }
    }

    #[test]
    fn reads_back_what_the_package_holds() {
        let entry =
            SearchEntry::of(&package(vec![version("1.0.0", "old"), version("2.0.0-Beta.1+build", "new")])).unwrap();
        assert_eq!((entry.package_id(), entry.id_lower(), entry.upstream()), ("Acme.Json", "acme.json", None));
        assert_eq!(entry.owners().collect::<Vec<_>>(), ["alice", "bob"]);
        let all: Vec<_> = entry
            .searchable(true, true)
            .map(|v| (v.version_full(), v.version_normalized(), v.version_lower()))
            .collect();
        assert_eq!(all, [("1.0.0", "1.0.0", "1.0.0"), ("2.0.0-Beta.1+build", "2.0.0-Beta.1", "2.0.0-beta.1+build")]);
        let (stable, meta) = entry.latest(false, false).unwrap();
        assert_eq!((stable.version_full(), meta.description()), ("1.0.0", "old"));
        let (newest, meta) = entry.latest(true, true).unwrap();
        assert_eq!((newest.version_full(), meta.description()), ("2.0.0-Beta.1+build", "new"));
        assert_eq!(meta.tags().collect::<Vec<_>>(), ["json", "http"]);
        assert_eq!(meta.authors().collect::<Vec<_>>(), ["Acme", "Contoso"]);
        assert_eq!(meta.package_types().collect::<Vec<_>>(), ["Dependency"]);
        assert_eq!((meta.summary(), meta.title()), (None, None));
        assert!(entry.latest(false, true).is_some());
    }

    /// Two "latest" versions with the same metadata hold it once, and the size counts it once.
    #[test]
    fn equal_metadata_is_held_once() {
        let same = SearchEntry::of(&package(vec![version("1.0.0", "same"), version("2.0.0-beta", "same")])).unwrap();
        let differ = SearchEntry::of(&package(vec![version("1.0.0", "same"), version("2.0.0-beta", "other")])).unwrap();
        assert_eq!(same.latest.len(), 2);
        assert!(same.latest[1].fields.shares_with(&same.latest[0].fields));
        assert!(!differ.latest[1].fields.shares_with(&differ.latest[0].fields));
        assert!(same.size() < differ.size());
    }
}

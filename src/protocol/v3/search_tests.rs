//! A hit rendered from a search entry is byte for byte the hit the database path rendered before
//! entries existed (`before` below is that renderer, kept as the reference), on a seeded set of
//! packages mixing prereleases, SemVer 2.0 versions, unlisted and withdrawn versions, icons and
//! missing metadata, under each pair of client flags.
use super::search::{search_result, PackageTypeJson, SearchResult, SearchVersion};
use crate::domain::records::{PackageRecord, PackageTypeRecord, VersionRecord};
use crate::domain::version_status::VersionStatus;
use crate::protocol::urls::{Hive, UrlGenerator};

/// The renderer over a full `PackageRecord`, as it was before search entries.
fn before(urls: &UrlGenerator, package: &PackageRecord, prerelease: bool, semver2: bool) -> Option<SearchResult> {
    let latest = package.latest(prerelease, semver2)?;
    let hive = if semver2 { Hive::GzipSemVer2 } else { Hive::Legacy };
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
        version: if semver2 { latest.version_full.clone() } else { latest.version_normalized.clone() },
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
        versions: package
            .searchable(prerelease, semver2)
            .map(|v| SearchVersion {
                version: if semver2 { v.version_full.clone() } else { v.version_normalized.clone() },
                downloads: v.downloads,
                id_url: urls.registration_leaf(hive, &package.id_lower, &v.version_lower),
            })
            .collect(),
        upstream: package.upstream.clone(),
    })
}

/// A small deterministic generator (xorshift), so the set is the same on every run.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }

    fn maybe(&mut self, text: String) -> Option<String> {
        (self.next(3) > 0).then_some(text)
    }
}

fn version(rng: &mut Seeded, id: &str, minor: u64) -> VersionRecord {
    let prerelease = rng.next(3) == 0;
    let semver2 = rng.next(4) == 0;
    let base = format!("1.{minor}.0{}", if prerelease { "-Beta.1" } else { "" });
    let full = if semver2 { format!("{base}+Build.{minor}") } else { base.clone() };
    let status = if rng.next(8) == 0 { VersionStatus::Failed } else { VersionStatus::Available };
    VersionRecord {
        key: i64::try_from(minor).unwrap(),
        package_id: id.to_owned(),
        version_original: full.clone(),
        version_lower: base.to_lowercase(),
        version_normalized: base,
        version_full: full,
        is_prerelease: prerelease,
        is_semver2: semver2,
        title: rng.maybe(format!("Title {minor}")),
        authors: ["Acme", "Acme, Bob", " , Carol ,"][usize::try_from(rng.next(3)).unwrap()].to_owned(),
        description: format!("Description of {id} \"{minor}\" <b>"),
        summary: rng.maybe(format!("Summary {minor}")),
        tags: ["", "json http", "  spaced   tags "][usize::try_from(rng.next(3)).unwrap()].to_owned(),
        project_url: rng.maybe(format!("https://example.test/{minor}")),
        icon_url: rng.maybe("https://example.test/icon.png".to_owned()),
        icon_file: (rng.next(3) == 0).then(|| "icon.png".to_owned()),
        license_url: rng.maybe("https://example.test/license".to_owned()),
        package_types: match rng.next(3) {
            0 => Vec::new(),
            1 => vec![PackageTypeRecord { name: "Dependency".into(), version: None }],
            _ => vec![
                PackageTypeRecord { name: "DotnetTool".into(), version: Some("1.0".into()) },
                PackageTypeRecord { name: "Template".into(), version: None },
            ],
        },
        listed: rng.next(5) > 0,
        status,
        downloads: i64::try_from(rng.next(1000)).unwrap(),
        ..VersionRecord::default()
    }
}

fn package(rng: &mut Seeded, n: u64) -> PackageRecord {
    let id = format!("Acme.Pkg{n}");
    PackageRecord {
        key: i64::try_from(n).unwrap(),
        id_lower: id.to_lowercase(),
        total_downloads: i64::try_from(rng.next(100_000)).unwrap(),
        verified: rng.next(2) == 0,
        upstream: (rng.next(5) == 0).then(|| "nuget.org".to_owned()),
        owners: (0..rng.next(3)).map(|o| format!("owner{o}")).collect(),
        versions: (0..=rng.next(7)).map(|minor| version(rng, &id, minor)).collect(),
        package_id: id,
    }
}

#[test]
fn entries_render_the_bytes_the_database_path_rendered() {
    let urls = UrlGenerator::new("https://nuget.example/feed");
    let mut rng = Seeded(0x9E37_79B9_7F4A_7C15);
    let mut compared = 0;
    for n in 0..400 {
        let mut package = package(&mut rng, n);
        package.versions.sort_by_cached_key(VersionRecord::version);
        for (prerelease, semver2) in [(false, false), (true, false), (false, true), (true, true)] {
            let old = before(&urls, &package, prerelease, semver2).map(|r| serde_json::to_vec(&r).unwrap());
            let new = search_result(&urls, &package, prerelease, semver2).map(|r| serde_json::to_vec(&r).unwrap());
            assert_eq!(new, old, "{} under {prerelease}/{semver2}", package.package_id);
            let upstream = |r: Option<SearchResult>| r.and_then(|r| r.upstream);
            assert_eq!(
                upstream(search_result(&urls, &package, prerelease, semver2)),
                upstream(before(&urls, &package, prerelease, semver2))
            );
            compared += usize::from(old.is_some());
        }
    }
    assert!(compared > 800, "the set shows most packages under most flags ({compared})");
}

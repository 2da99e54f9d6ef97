//! Golden registration documents for an id with more versions than are inlined (the in-process
//! goldens in `tests/api/golden.rs` cover the inlined shape; pushing 129 versions there would
//! cost more than every other golden together). Reviewed against nuget.org's registration
//! resource documentation; regenerate with `INSTA_UPDATE=always cargo test --lib v3`.
use super::*;

fn version(minor: usize) -> VersionRecord {
    let version = format!("1.{minor}.0");
    VersionRecord {
        key: i64::try_from(minor).unwrap(),
        package_id: "Golden.Many".into(),
        version_original: version.clone(),
        version_normalized: version.clone(),
        version_lower: version.clone(),
        version_full: version,
        authors: "Golden".into(),
        description: "Many versions.".into(),
        hash_sha512: "AAAA".into(),
        size: 1024,
        listed: true,
        status: crate::domain::version_status::VersionStatus::Available,
        created_at: "2026-01-01T00:00:00.000Z".into(),
        published_at: "2026-01-01T00:00:00.000Z".into(),
        last_edited_at: "2026-01-01T00:00:00.000Z".into(),
        ..VersionRecord::default()
    }
}

#[test]
fn a_paged_registration_keeps_its_shape() {
    let package = PackageRecord {
        key: 1,
        package_id: "Golden.Many".into(),
        id_lower: "golden.many".into(),
        total_downloads: 0,
        verified: false,
        upstream: None,
        owners: vec!["golden".into()],
        versions: (0..=INLINE_LIMIT).map(version).collect(),
    };
    let urls = UrlGenerator::new("https://nuget.example");
    let (index, pages) = registration(&urls, Hive::GzipSemVer2, &package).unwrap();
    assert_eq!(pages.len(), 3, "129 versions make three pages of at most {PAGE_SIZE}");
    insta::assert_json_snapshot!("registration_paged_index", index);
    insta::assert_json_snapshot!("registration_last_page", pages.last().unwrap());
}

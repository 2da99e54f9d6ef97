//! The `.nuspec` parser on arbitrary bytes: it may refuse, never panic, and what it accepts must
//! hold the invariants the rest of the server relies on.
#![no_main]

use galley::domain::id::PackageId;
use galley::domain::nuspec::Nuspec;
use galley::domain::version::NuGetVersion;
use galley::domain::version_range::VersionRange;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(nuspec) = Nuspec::parse(data) else {
        return;
    };
    check(&nuspec);
    // Parsing is a pure function of the bytes.
    assert_eq!(Nuspec::parse(data).as_ref(), Ok(&nuspec));
});

fn check(nuspec: &Nuspec) {
    // The id is stored and put into URLs: it must still pass the id rules on its own.
    let id = PackageId::parse(nuspec.id.as_str()).expect("a parsed id re-validates");
    assert_eq!(id.lower(), nuspec.id.lower());

    // Feeds write the normalized version and read it back; both must mean the same version.
    let normalized = nuspec.version.normalized();
    let reparsed = NuGetVersion::parse(&normalized).expect("a normalized version re-parses");
    assert_eq!(reparsed, nuspec.version);
    assert_eq!(reparsed.normalized(), normalized);

    // Required text is present and trimmed; optional text is absent rather than blank.
    for required in [&nuspec.authors, &nuspec.description] {
        assert!(!required.is_empty() && required.trim() == required, "{required:?}");
    }
    let optional = [
        &nuspec.title,
        &nuspec.owners,
        &nuspec.summary,
        &nuspec.release_notes,
        &nuspec.copyright,
        &nuspec.language,
        &nuspec.project_url,
        &nuspec.icon_url,
        &nuspec.icon,
        &nuspec.readme,
        &nuspec.license_url,
        &nuspec.min_client_version,
    ];
    for text in optional.into_iter().flatten() {
        assert!(!text.is_empty() && text.trim() == text, "{text:?}");
    }
    for tag in &nuspec.tags {
        assert!(!tag.is_empty() && !tag.contains(|c: char| c == ',' || c.is_whitespace()), "{tag:?}");
    }
    for author in nuspec.authors_list() {
        assert!(!author.is_empty());
    }

    // Registration documents and the v2 feed carry each range in normalized form; clients parse
    // it back, so it must name the same range.
    for dependency in nuspec.dependency_groups.iter().flat_map(|g| &g.dependencies) {
        assert!(!dependency.id.is_empty());
        let range = &dependency.range;
        assert_eq!(VersionRange::parse(&range.to_normalized_string()).as_ref(), Ok(range));
    }
    let _ = nuspec.is_semver2();

    // Every field is serialized into feed documents.
    serde_json::to_string(nuspec).expect("a parsed nuspec serializes");
}

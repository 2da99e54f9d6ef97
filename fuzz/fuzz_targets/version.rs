//! Version and version-range parsing. The input is split at the first newline into two strings,
//! so the ordering rules can be checked on pairs as well as each parse on its own.
#![no_main]

use std::cmp::Ordering;

use galley::domain::version::NuGetVersion;
use galley::domain::version_range::VersionRange;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = text.split_once('\n').unwrap_or((text, ""));
    let va = version(a);
    let vb = version(b);
    if let (Some(va), Some(vb)) = (&va, &vb) {
        pair(va, vb);
    }
    for (range_text, candidate) in [(a, &vb), (b, &va)] {
        if let Some(range) = range(range_text) {
            if let Some(v) = candidate {
                satisfies_matches_bounds(&range, v);
            }
        }
    }
});

/// A parsed version survives the round trips the feeds put it through.
fn version(text: &str) -> Option<NuGetVersion> {
    let v = NuGetVersion::parse(text).ok()?;
    let normalized = v.normalized();
    let again = NuGetVersion::parse(&normalized).expect("the normalized form re-parses");
    assert_eq!(again, v);
    assert_eq!(again.normalized(), normalized, "normalizing is idempotent");
    // `full` adds the metadata, which equality ignores.
    let full = NuGetVersion::parse(&v.full()).expect("the full form re-parses");
    assert_eq!(full, v);
    assert_eq!(full.metadata(), v.metadata());
    // Flat-container URLs and the database key use the lowercase form: it must be a version too.
    assert_eq!(NuGetVersion::parse(&v.lower_normalized()).expect("the lowercase form re-parses"), v);
    assert_eq!(v.is_prerelease(), !v.release_labels().is_empty());
    Some(v)
}

/// `Ord`, `Eq` and `Hash` (via the lowercase normalized form) agree, as maps and sorts assume.
fn pair(a: &NuGetVersion, b: &NuGetVersion) {
    let order = a.cmp(b);
    assert_eq!(b.cmp(a), order.reverse(), "{a:?} vs {b:?}");
    assert_eq!(a == b, order == Ordering::Equal);
    assert_eq!(a == b, a.lower_normalized() == b.lower_normalized(), "{a:?} vs {b:?}");
}

/// A parsed range reads back from its written (normalized) form, and its bounds are satisfied as
/// the brackets say.
fn range(text: &str) -> Option<VersionRange> {
    let r = VersionRange::parse(text).ok()?;
    let normalized = r.to_normalized_string();
    assert_eq!(VersionRange::parse(&normalized).as_ref(), Ok(&r), "{normalized}");
    if let Some(min) = r.min() {
        assert_eq!(r.satisfies(min), r.is_min_inclusive());
    }
    if let Some(max) = r.max() {
        assert_eq!(r.satisfies(max), r.is_max_inclusive());
    }
    if let (Some(min), Some(max)) = (r.min(), r.max()) {
        assert!(min <= max, "an empty range was accepted: {text:?}");
    }
    let _ = r.is_semver2();
    Some(r)
}

/// Dependency resolution picks with `best_match`; it must agree with `satisfies`, also for the
/// range as a client reads it back from the feed.
fn satisfies_matches_bounds(r: &VersionRange, v: &NuGetVersion) {
    let inside = r.satisfies(v);
    assert_eq!(r.best_match([v]).is_some(), inside);
    let read_back = VersionRange::parse(&r.to_normalized_string()).expect("checked in range()");
    assert_eq!(read_back.satisfies(v), inside, "{r} and {v}");
}

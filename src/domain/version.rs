//! NuGet package versions: parsing, normalization and NuGet's ordering rules.

// "NuGet" is a product name in prose, not an identifier to put in backticks.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// A NuGet version: SemVer 2.0 plus the legacy fourth (revision) part.
///
/// Equality, ordering and hashing ignore build metadata and label case, because NuGet
/// treats `1.0.0-BETA+a` and `1.0.0-beta+b` as the same package version.
#[derive(Debug, Clone)]
pub struct NuGetVersion {
    major: u64,
    minor: u64,
    patch: u64,
    revision: u64,
    release_labels: Vec<String>,
    metadata: Option<String>,
    original: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a valid version string")]
pub struct VersionError(pub String);

impl NuGetVersion {
    /// Parses `Major[.Minor[.Patch[.Revision]]][-labels][+metadata]`, ignoring surrounding
    /// whitespace the way NuGet does for nuspec values.
    ///
    /// # Errors
    /// Returns [`VersionError`] carrying the input when it is not a valid NuGet version.
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        Self::parse_trimmed(s.trim()).ok_or_else(|| VersionError(s.to_owned()))
    }

    fn parse_trimmed(s: &str) -> Option<Self> {
        // Metadata may itself contain '-', so it has to be cut off before looking for the
        // prerelease separator.
        let (rest, metadata) = match s.split_once('+') {
            Some((rest, meta)) => (rest, Some(meta)),
            None => (s, None),
        };
        let (numbers, release) = match rest.split_once('-') {
            Some((numbers, release)) => (numbers, Some(release)),
            None => (rest, None),
        };

        let mut parts = [0_u64; 4];
        for (index, part) in numbers.split('.').enumerate() {
            *parts.get_mut(index)? = parse_number(part)?;
        }

        let release_labels = match release {
            Some(release) => release
                .split('.')
                .map(|label| is_valid_label(label).then(|| label.to_owned()))
                .collect::<Option<Vec<_>>>()?,
            None => Vec::new(),
        };
        if let Some(meta) = metadata {
            if !meta.split('.').all(is_valid_identifier) {
                return None;
            }
        }

        Some(Self {
            major: parts[0],
            minor: parts[1],
            patch: parts[2],
            revision: parts[3],
            release_labels,
            metadata: metadata.map(str::to_owned),
            original: s.to_owned(),
        })
    }

    #[must_use]
    pub fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self {
            major,
            minor,
            patch,
            revision: 0,
            release_labels: Vec::new(),
            metadata: None,
            original: format!("{major}.{minor}.{patch}"),
        }
    }

    #[must_use]
    pub fn major(&self) -> u64 {
        self.major
    }

    #[must_use]
    pub fn minor(&self) -> u64 {
        self.minor
    }

    #[must_use]
    pub fn patch(&self) -> u64 {
        self.patch
    }

    #[must_use]
    pub fn revision(&self) -> u64 {
        self.revision
    }

    #[must_use]
    pub fn release_labels(&self) -> &[String] {
        &self.release_labels
    }

    #[must_use]
    pub fn metadata(&self) -> Option<&str> {
        self.metadata.as_deref()
    }

    /// The string the version was parsed from, so feeds can echo what the author wrote.
    #[must_use]
    pub fn original(&self) -> &str {
        &self.original
    }

    /// NuGet's normalized form: the revision only when non-zero, label case kept, no
    /// metadata. Two equal versions can differ here only in label case.
    #[must_use]
    pub fn normalized(&self) -> String {
        let mut out = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if self.revision != 0 {
            out.push('.');
            out.push_str(&self.revision.to_string());
        }
        if !self.release_labels.is_empty() {
            out.push('-');
            out.push_str(&self.release_labels.join("."));
        }
        out
    }

    /// Unique per equality class, which is what flat-container URLs need.
    #[must_use]
    pub fn lower_normalized(&self) -> String {
        // Folded in place: this runs on every package download.
        let mut key = self.normalized();
        key.make_ascii_lowercase();
        key
    }

    /// The normalized form plus metadata; nuget.org shows this for SemVer 2.0 packages.
    #[must_use]
    pub fn full(&self) -> String {
        let mut out = self.normalized();
        if let Some(meta) = &self.metadata {
            out.push('+');
            out.push_str(meta);
        }
        out
    }

    #[must_use]
    pub fn is_prerelease(&self) -> bool {
        !self.release_labels.is_empty()
    }

    /// True when SemVer 1.0 clients could not understand the version, which decides whether
    /// feeds hide it from them.
    #[must_use]
    pub fn is_semver2(&self) -> bool {
        self.release_labels.len() > 1 || self.metadata.is_some()
    }
}

/// Accepts leading zeros (NuGet reads `1.01` as `1.1`) but nothing except ASCII digits:
/// `u64::from_str` alone would let a `+` sign through.
fn parse_number(part: &str) -> Option<u64> {
    if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

fn is_valid_identifier(part: &str) -> bool {
    !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// SemVer forbids leading zeros in numeric prerelease labels because they make `01` and
/// `1` ambiguous; NuGet enforces that.
fn is_valid_label(label: &str) -> bool {
    is_valid_identifier(label) && !(label.len() > 1 && label.starts_with('0') && is_numeric(label))
}

fn is_numeric(label: &str) -> bool {
    label.bytes().all(|b| b.is_ascii_digit())
}

fn compare_label(a: &str, b: &str) -> Ordering {
    match (is_numeric(a), is_numeric(b)) {
        // Compared as digit strings rather than parsed, so labels longer than u64 still
        // order numerically instead of failing.
        (true, true) => {
            let a = a.trim_start_matches('0');
            let b = b.trim_start_matches('0');
            a.len().cmp(&b.len()).then_with(|| a.cmp(b))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes().map(|c| c.to_ascii_lowercase())),
    }
}

impl PartialEq for NuGetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for NuGetVersion {}

impl Hash for NuGetVersion {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Hashing the lowercase normalized form keeps Hash consistent with Eq: numeric
        // labels cannot carry leading zeros, so equal versions normalize identically.
        self.lower_normalized().hash(state);
    }
}

impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let numbers = |v: &Self| (v.major, v.minor, v.patch, v.revision);
        numbers(self).cmp(&numbers(other)).then_with(|| {
            match (self.release_labels.is_empty(), other.release_labels.is_empty()) {
                (true, true) => Ordering::Equal,
                // A release sorts after every prerelease of the same number.
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    let mut pairs = self.release_labels.iter().zip(&other.release_labels);
                    pairs
                        .find_map(|(a, b)| {
                            let order = compare_label(a, b);
                            order.is_ne().then_some(order)
                        })
                        .unwrap_or_else(|| self.release_labels.len().cmp(&other.release_labels.len()))
                }
            }
        })
    }
}

impl fmt::Display for NuGetVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized())
    }
}

impl FromStr for NuGetVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for NuGetVersion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.normalized())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn v(s: &str) -> NuGetVersion {
        NuGetVersion::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn normalizes() {
        // (input, normalized, full)
        let cases = [
            ("1", "1.0.0", "1.0.0"),
            ("1.0", "1.0.0", "1.0.0"),
            ("1.0.0", "1.0.0", "1.0.0"),
            ("1.0.0.0", "1.0.0", "1.0.0"),
            ("1.01.1", "1.1.1", "1.1.1"),
            ("01.0.0-Beta", "1.0.0-Beta", "1.0.0-Beta"),
            ("00.00.00.00", "0.0.0", "0.0.0"),
            ("1.0.0.4", "1.0.0.4", "1.0.0.4"),
            ("1.2.3.04", "1.2.3.4", "1.2.3.4"),
            ("1.0.0-beta+meta", "1.0.0-beta", "1.0.0-beta+meta"),
            ("1.0.0+meta", "1.0.0", "1.0.0+meta"),
            ("1.0+Build.01.x-y", "1.0.0", "1.0.0+Build.01.x-y"),
            ("1.0.0-Beta.1", "1.0.0-Beta.1", "1.0.0-Beta.1"),
            ("1.0-RC-1", "1.0.0-RC-1", "1.0.0-RC-1"),
            ("1.0.0-0", "1.0.0-0", "1.0.0-0"),
            ("1.0.0-0a.01a", "1.0.0-0a.01a", "1.0.0-0a.01a"),
            ("1.0.0--", "1.0.0--", "1.0.0--"),
            ("1.0.0-a--b", "1.0.0-a--b", "1.0.0-a--b"),
            ("1.2.3.4-alpha.2+sha.abc", "1.2.3.4-alpha.2", "1.2.3.4-alpha.2+sha.abc"),
            ("1.0.0.0-beta", "1.0.0-beta", "1.0.0-beta"),
            ("  2.0\t", "2.0.0", "2.0.0"),
            ("\n3.1.4\r\n", "3.1.4", "3.1.4"),
            ("18446744073709551615", "18446744073709551615.0.0", "18446744073709551615.0.0"),
            ("1.0.0-99999999999999999999999", "1.0.0-99999999999999999999999", "1.0.0-99999999999999999999999"),
        ];
        for (input, normalized, full) in cases {
            let parsed = v(input);
            assert_eq!(parsed.normalized(), normalized, "{input:?}");
            assert_eq!(parsed.to_string(), normalized, "{input:?}");
            assert_eq!(parsed.full(), full, "{input:?}");
            assert_eq!(parsed.lower_normalized(), normalized.to_ascii_lowercase(), "{input:?}");
            assert_eq!(parsed.original(), input.trim(), "{input:?}");
            // The normalized form must read back as an equal version.
            assert_eq!(v(normalized), parsed, "{input:?}");
            assert_eq!(v(full), parsed, "{input:?}");
            assert_eq!(v(full).full(), full, "{input:?}");
        }
    }

    #[test]
    fn rejects_invalid_versions() {
        let cases = [
            "",
            " ",
            "\t\n",
            ".",
            "..",
            "a",
            "v1.0",
            "1.0a",
            "1a.0",
            "1.0.0.0.0",
            "1.2.3.4.5-beta",
            "1.",
            ".1",
            "1..0",
            "1.0.",
            "1.0 .0",
            "1. 0",
            "1.0 -beta",
            "1.0- beta",
            "1 0",
            "+1.0",
            "1.+0",
            "1.-0",
            "-1.0",
            "-beta",
            "1.0-",
            "1.0-beta.",
            "1.0-.beta",
            "1.0-a..b",
            "1.0-beta_1",
            "1.0-beta!",
            "1.0-bêta",
            "1.0-beta 1",
            "1.0.0-beta.01",
            "1.0.0-00",
            "1.0.0-01",
            "1.0.0-rc.1.007",
            "1.0+",
            "1.0+a..b",
            "1.0+.a",
            "1.0+a.",
            "1.0+a_b",
            "1.0+meta+more",
            "1.0-beta+",
            "1.0-+meta",
            "+meta",
            "18446744073709551616",
            "1.18446744073709551616",
            "99999999999999999999999.0",
            "١.٠",
            "1.0.*",
            "*",
            "[1.0]",
            "1,0",
        ];
        for input in cases {
            assert_eq!(NuGetVersion::parse(input).unwrap_err(), VersionError(input.to_owned()), "{input:?}");
            assert!(input.parse::<NuGetVersion>().is_err(), "{input:?}");
        }
    }

    #[test]
    fn error_message_quotes_the_input() {
        assert_eq!(NuGetVersion::parse("abc").unwrap_err().to_string(), "'abc' is not a valid version string");
    }

    #[test]
    fn exposes_parts() {
        let parsed = v(" 1.2.3.4-Beta.1+Build.5 ");
        assert_eq!(parsed.major(), 1);
        assert_eq!(parsed.minor(), 2);
        assert_eq!(parsed.patch(), 3);
        assert_eq!(parsed.revision(), 4);
        assert_eq!(parsed.release_labels(), ["Beta", "1"]);
        assert_eq!(parsed.metadata(), Some("Build.5"));
        assert_eq!(parsed.original(), "1.2.3.4-Beta.1+Build.5");
        assert_eq!(parsed.normalized(), "1.2.3.4-Beta.1");
        assert_eq!(parsed.lower_normalized(), "1.2.3.4-beta.1");
        assert_eq!(parsed.full(), "1.2.3.4-Beta.1+Build.5");
        assert!(parsed.is_prerelease());
        assert!(parsed.is_semver2());

        let plain = v("7");
        assert_eq!((plain.major(), plain.minor(), plain.patch(), plain.revision()), (7, 0, 0, 0));
        assert!(plain.release_labels().is_empty());
        assert_eq!(plain.metadata(), None);
        assert_eq!(plain.original(), "7");
        assert!(!plain.is_prerelease());
    }

    #[test]
    fn new_builds_a_release_version() {
        let built = NuGetVersion::new(1, 2, 3);
        assert_eq!(built, v("1.2.3"));
        assert_eq!(built.original(), "1.2.3");
        assert_eq!(built.normalized(), "1.2.3");
        assert_eq!(built.revision(), 0);
        assert!(!built.is_prerelease());
        assert!(!built.is_semver2());
        assert_eq!(built.metadata(), None);
    }

    #[test]
    fn detects_semver2_and_prerelease() {
        // (input, is_prerelease, is_semver2)
        let cases = [
            ("1.0.0", false, false),
            ("1.0.0.1", false, false),
            ("1.0.0-beta", true, false),
            ("1.0.0-beta-1", true, false),
            ("1.0.0.1-beta", true, false),
            ("1.0.0-beta.1", true, true),
            ("1.0.0-a.b.c", true, true),
            ("1.0.0+meta", false, true),
            ("1.0.0-beta+meta", true, true),
        ];
        for (input, prerelease, semver2) in cases {
            let parsed = v(input);
            assert_eq!(parsed.is_prerelease(), prerelease, "{input}");
            assert_eq!(parsed.is_semver2(), semver2, "{input}");
        }
    }

    #[test]
    fn follows_nuget_ordering() {
        let ascending = [
            "0.0.0-0",
            "0.0.0",
            "0.9.9.9",
            "1.0.0-1",
            "1.0.0-2",
            "1.0.0-10",
            "1.0.0-18446744073709551615",
            "1.0.0-99999999999999999999999",
            "1.0.0-a",
            "1.0.0-a-b",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-Beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-beta.a",
            "1.0.0-rc.1",
            "1.0.0-rc-1",
            "1.0.0",
            "1.0.0.1-beta",
            "1.0.0.1",
            "1.0.0.2",
            "1.0.1-alpha",
            "1.0.1",
            "1.0.10",
            "1.1",
            "1.9",
            "1.10",
            "2.0.0-0",
            "2",
            "10",
        ];
        for (i, a) in ascending.iter().enumerate() {
            for (j, b) in ascending.iter().enumerate() {
                assert_eq!(v(a).cmp(&v(b)), i.cmp(&j), "{a} vs {b}");
                assert_eq!(v(a).partial_cmp(&v(b)), Some(i.cmp(&j)), "{a} vs {b}");
                assert_eq!(v(a) == v(b), i == j, "{a} vs {b}");
            }
        }
        let mut shuffled: Vec<NuGetVersion> = ascending.iter().rev().map(|s| v(s)).collect();
        shuffled.sort();
        let sorted: Vec<String> = shuffled.iter().map(NuGetVersion::original).map(str::to_owned).collect();
        assert_eq!(sorted, ascending);
    }

    #[test]
    fn equality_ignores_case_metadata_and_zero_parts() {
        let groups: &[&[&str]] = &[
            &["1.0.0-BETA", "1.0.0-beta", "1.0.0-Beta+x", "1.0-bEtA+y.z"],
            &["1", "1.0", "1.0.0", "1.0.0.0", "01.00.000", "1.0.0+meta"],
            &["1.0.0-rc.1", "1.0.0.0-RC.1", "1.0.0-Rc.1+sha.1"],
            &["1.0.0.1", "1.0.0.01", "1.0.0.1+x"],
        ];
        for (gi, group) in groups.iter().enumerate() {
            for a in *group {
                for b in *group {
                    assert_eq!(v(a), v(b), "{a} vs {b}");
                    assert_eq!(v(a).cmp(&v(b)), Ordering::Equal, "{a} vs {b}");
                    assert_eq!(v(a).lower_normalized(), v(b).lower_normalized());
                }
                for (hi, other) in groups.iter().enumerate() {
                    if hi != gi {
                        for b in *other {
                            assert_ne!(v(a), v(b), "{a} vs {b}");
                        }
                    }
                }
            }
        }
        let set: HashSet<NuGetVersion> = groups.iter().flat_map(|g| g.iter()).map(|s| v(s)).collect();
        assert_eq!(set.len(), groups.len());
        assert!(set.contains(&v("1.0.0-beta+other")));
        assert!(set.contains(&NuGetVersion::new(1, 0, 0)));
        assert!(!set.contains(&v("1.0.0-beta.1")));
    }

    #[test]
    fn label_comparison_is_case_insensitive_not_ordinal() {
        // Ordinal comparison would put "Beta" before "alpha".
        assert!(v("1.0.0-alpha") < v("1.0.0-Beta"));
        assert!(v("1.0.0-ALPHA") < v("1.0.0-beta"));
        assert!(v("1.0.0-Z") > v("1.0.0-a"));
        // Numeric labels sort before alphanumeric ones whatever their characters.
        assert!(v("1.0.0-999") < v("1.0.0-0a"));
        assert!(v("1.0.0-9") < v("1.0.0--"));
    }

    #[test]
    fn from_str_matches_parse() {
        let parsed: NuGetVersion = " 1.2-Beta+m ".parse().unwrap();
        assert_eq!(parsed.full(), "1.2.0-Beta+m");
        assert_eq!(parsed.original(), "1.2-Beta+m");
        assert_eq!("x".parse::<NuGetVersion>().unwrap_err(), VersionError("x".into()));
    }
}

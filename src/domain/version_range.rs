//! NuGet version ranges as written in nuspec dependencies, and their canonical spellings.

// "NuGet" is a product name in prose, not an identifier to put in backticks.

use std::fmt;
use std::str::FromStr;

use super::version::NuGetVersion;

/// An interval of versions. An absent bound is never inclusive, so ranges that mean the
/// same thing compare equal whatever brackets they were written with.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VersionRange {
    min: Option<NuGetVersion>,
    min_inclusive: bool,
    max: Option<NuGetVersion>,
    max_inclusive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a valid version range")]
pub struct RangeError(pub String);

impl VersionRange {
    /// Parses NuGet's range syntax. An empty string means "any version" because real
    /// packages ship dependencies with `version=""`.
    ///
    /// # Errors
    /// Returns [`RangeError`] carrying the input when it is malformed or describes an
    /// empty set of versions.
    pub fn parse(s: &str) -> Result<Self, RangeError> {
        Self::parse_trimmed(s.trim()).ok_or_else(|| RangeError(s.to_owned()))
    }

    fn parse_trimmed(s: &str) -> Option<Self> {
        if s.is_empty() {
            return Some(Self::all());
        }
        let min_inclusive = match s.as_bytes()[0] {
            b'[' => true,
            b'(' => false,
            // A bare version is NuGet's shorthand for "this version or newer".
            _ => {
                let min = NuGetVersion::parse(s).ok()?;
                return Some(Self::bounded(Some(min), true, None, false));
            }
        };
        let max_inclusive = match s.as_bytes()[s.len() - 1] {
            b']' => true,
            b')' => false,
            _ => return None,
        };
        // Brackets are ASCII, so slicing one byte off each end stays on char boundaries.
        let inner = s.get(1..s.len() - 1)?;

        let Some((low, high)) = inner.split_once(',') else {
            // Without a comma only the exact form "[v]" is meaningful; "(v)" is empty.
            if !(min_inclusive && max_inclusive) {
                return None;
            }
            let exact = NuGetVersion::parse(inner).ok()?;
            return Some(Self::bounded(Some(exact.clone()), true, Some(exact), true));
        };
        let bound = |text: &str| -> Option<Option<NuGetVersion>> {
            let text = text.trim();
            if text.is_empty() {
                Some(None)
            } else {
                NuGetVersion::parse(text).ok().map(Some)
            }
        };
        // A second comma makes the high part unparsable as a version, so it is rejected here.
        let min = bound(low)?;
        let max = bound(high)?;

        let rejected = match (&min, &max) {
            // NuGet rejects every bound-less pair; "(, )" is let through only because it is
            // how `to_normalized_string` spells "all" and so must read back.
            (None, None) => min_inclusive || max_inclusive,
            (Some(lo), Some(hi)) => lo > hi || (lo == hi && !(min_inclusive && max_inclusive)),
            _ => false,
        };
        if rejected {
            return None;
        }
        Some(Self::bounded(min, min_inclusive, max, max_inclusive))
    }

    fn bounded(min: Option<NuGetVersion>, min_inclusive: bool, max: Option<NuGetVersion>, max_inclusive: bool) -> Self {
        Self { min_inclusive: min_inclusive && min.is_some(), max_inclusive: max_inclusive && max.is_some(), min, max }
    }

    #[must_use]
    pub fn all() -> Self {
        Self::bounded(None, false, None, false)
    }

    #[must_use]
    pub fn min(&self) -> Option<&NuGetVersion> {
        self.min.as_ref()
    }

    #[must_use]
    pub fn max(&self) -> Option<&NuGetVersion> {
        self.max.as_ref()
    }

    #[must_use]
    pub fn is_min_inclusive(&self) -> bool {
        self.min_inclusive
    }

    #[must_use]
    pub fn is_max_inclusive(&self) -> bool {
        self.max_inclusive
    }

    #[must_use]
    pub fn satisfies(&self, v: &NuGetVersion) -> bool {
        let above_min = self.min.as_ref().is_none_or(|min| if self.min_inclusive { v >= min } else { v > min });
        let below_max = self.max.as_ref().is_none_or(|max| if self.max_inclusive { v <= max } else { v < max });
        above_min && below_max
    }

    /// A range mentioning a SemVer 2.0 version makes the whole package SemVer 2.0 for feeds.
    #[must_use]
    pub fn is_semver2(&self) -> bool {
        self.min.iter().chain(&self.max).any(NuGetVersion::is_semver2)
    }

    /// NuGet's `ToNormalizedString`, the form nuget.org puts in registration `range` fields.
    #[must_use]
    pub fn to_normalized_string(&self) -> String {
        self.interval_string(", ")
    }

    fn interval_string(&self, separator: &str) -> String {
        let bound = |v: &Option<NuGetVersion>| v.as_ref().map(NuGetVersion::normalized);
        format!(
            "{}{}{separator}{}{}",
            if self.min_inclusive { '[' } else { '(' },
            bound(&self.min).unwrap_or_default(),
            bound(&self.max).unwrap_or_default(),
            if self.max_inclusive { ']' } else { ')' },
        )
    }

    /// The lowest satisfying version, matching NuGet's default "lowest" dependency
    /// behaviour; among equal versions the first one offered wins.
    pub fn best_match<'a, I>(&self, versions: I) -> Option<&'a NuGetVersion>
    where
        I: IntoIterator<Item = &'a NuGetVersion>,
    {
        versions.into_iter().filter(|v| self.satisfies(v)).min()
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_normalized_string())
    }
}

impl FromStr for VersionRange {
    type Err = RangeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for VersionRange {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_normalized_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> NuGetVersion {
        NuGetVersion::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn r(s: &str) -> VersionRange {
        VersionRange::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn parses_and_prints() {
        // (input, normalized, legacy)
        let cases = [
            ("", "(, )", ""),
            ("   ", "(, )", ""),
            ("(,)", "(, )", ""),
            ("(, )", "(, )", ""),
            (" ( , ) ", "(, )", ""),
            ("1.0", "[1.0.0, )", "1.0.0"),
            (" 1.0 ", "[1.0.0, )", "1.0.0"),
            ("1.0.0.1", "[1.0.0.1, )", "1.0.0.1"),
            ("1.0-Beta", "[1.0.0-Beta, )", "1.0.0-Beta"),
            ("1.0.0-beta.1+meta", "[1.0.0-beta.1, )", "1.0.0-beta.1"),
            ("[1.0,)", "[1.0.0, )", "1.0.0"),
            ("[1.0, )", "[1.0.0, )", "1.0.0"),
            ("(1.0,)", "(1.0.0, )", "(1.0.0,)"),
            ("[1.0]", "[1.0.0, 1.0.0]", "[1.0.0]"),
            ("[ 1.0 ]", "[1.0.0, 1.0.0]", "[1.0.0]"),
            ("[1.0,1.0]", "[1.0.0, 1.0.0]", "[1.0.0]"),
            ("[1.0.0+a, 1.0+b]", "[1.0.0, 1.0.0]", "[1.0.0]"),
            ("(,1.0]", "(, 1.0.0]", "(,1.0.0]"),
            ("[,1.0]", "(, 1.0.0]", "(,1.0.0]"),
            ("(,1.0)", "(, 1.0.0)", "(,1.0.0)"),
            ("[1.0,2.0)", "[1.0.0, 2.0.0)", "[1.0.0,2.0.0)"),
            ("[1.0, 2.0]", "[1.0.0, 2.0.0]", "[1.0.0,2.0.0]"),
            (" [ 1.0 , 2.0 ] ", "[1.0.0, 2.0.0]", "[1.0.0,2.0.0]"),
            ("(1.0,2.0)", "(1.0.0, 2.0.0)", "(1.0.0,2.0.0)"),
            ("(1.0,2.0]", "(1.0.0, 2.0.0]", "(1.0.0,2.0.0]"),
            ("(1.0,1.0.0.1)", "(1.0.0, 1.0.0.1)", "(1.0.0,1.0.0.1)"),
            ("[1.0.0-alpha.1, 2.0.0-Beta)", "[1.0.0-alpha.1, 2.0.0-Beta)", "[1.0.0-alpha.1,2.0.0-Beta)"),
        ];
        for (input, normalized, compact) in cases {
            let range = r(input);
            assert_eq!(range.to_normalized_string(), normalized, "{input:?}");
            assert_eq!(range.to_string(), normalized, "{input:?}");
            // The normalized form and the compact one older clients write read back as the same range.
            assert_eq!(r(normalized), range, "{input:?}");
            assert_eq!(r(compact), range, "{input:?}");
            assert_eq!(input.parse::<VersionRange>().unwrap(), range, "{input:?}");
        }
    }

    #[test]
    fn exposes_bounds() {
        // (input, min, min_inclusive, max, max_inclusive)
        let cases = [
            ("", None, false, None, false),
            ("(,)", None, false, None, false),
            ("1.0", Some("1.0.0"), true, None, false),
            ("(1.0,)", Some("1.0.0"), false, None, false),
            ("[1.0]", Some("1.0.0"), true, Some("1.0.0"), true),
            ("[,2.0]", None, false, Some("2.0.0"), true),
            ("(,2.0)", None, false, Some("2.0.0"), false),
            ("[1.0,2.0)", Some("1.0.0"), true, Some("2.0.0"), false),
        ];
        for (input, min, min_inclusive, max, max_inclusive) in cases {
            let range = r(input);
            assert_eq!(range.min().map(NuGetVersion::normalized).as_deref(), min, "{input:?}");
            assert_eq!(range.is_min_inclusive(), min_inclusive, "{input:?}");
            assert_eq!(range.max().map(NuGetVersion::normalized).as_deref(), max, "{input:?}");
            assert_eq!(range.is_max_inclusive(), max_inclusive, "{input:?}");
        }
        assert_eq!(r(""), VersionRange::all());
        assert_eq!(r("(, )"), VersionRange::all());
        assert_eq!(r("1.0"), r("[1.0,)"));
        assert_eq!(r("[,1.0]"), r("(,1.0]"));
        assert_ne!(r("1.0"), r("(1.0,)"));
        assert_ne!(r("[1.0]"), r("1.0"));
    }

    #[test]
    fn rejects_invalid_ranges() {
        let cases = [
            "(1.0)",
            "[1.0)",
            "(1.0]",
            "[1.0,2.0",
            "1.0,2.0]",
            "1.0,2.0",
            "(1.0,2.0",
            "[2.0,1.0]",
            "(2.0,1.0)",
            "[1.0.0.1,1.0]",
            "[1.0,1.0-beta]",
            "(1.0,1.0)",
            "[1.0,1.0)",
            "(1.0,1.0]",
            "(1.0+a,1.0+b]",
            "[,]",
            "[,)",
            "(,]",
            "[]",
            "()",
            "[ ]",
            "[",
            "(",
            "]",
            ")",
            ",",
            "[1.0,2.0,3.0]",
            "[1.0,,2.0]",
            "[,,]",
            "abc",
            "[abc]",
            "[1.0,abc]",
            "(abc,)",
            "1.0.*",
            "[1.0.*,)",
            "*",
            "[1.0 2.0]",
            ">=1.0",
            "[[1.0]]",
            "{1.0}",
            "[1.0}",
            "[1.0] ]",
            "[1.0]x",
            "x[1.0]",
            "1.0-",
            "[1.0-]",
            "[é]",
        ];
        for input in cases {
            assert_eq!(VersionRange::parse(input).unwrap_err(), RangeError(input.to_owned()), "{input:?}");
            assert!(input.parse::<VersionRange>().is_err(), "{input:?}");
        }
    }

    #[test]
    fn error_message_quotes_the_input() {
        assert_eq!(VersionRange::parse("(1.0)").unwrap_err().to_string(), "'(1.0)' is not a valid version range");
    }

    #[test]
    fn satisfies() {
        // (range, version, expected)
        let cases = [
            ("", "0.0.0-0", true),
            ("", "1.0.0", true),
            ("", "99.0.0-beta+x", true),
            ("(,)", "1.0.0", true),
            ("1.0", "1.0.0", true),
            ("1.0", "1.0.0.0+meta", true),
            ("1.0", "1.0.0.1", true),
            ("1.0", "2.0.0", true),
            ("1.0", "1.0.0-beta", false),
            ("1.0", "0.9.9", false),
            ("1.0-beta", "1.0.0-alpha", false),
            ("1.0-beta", "1.0.0-BETA", true),
            ("1.0-beta", "1.0.0-beta.1", true),
            ("1.0-beta", "1.0.0", true),
            ("(1.0,)", "1.0.0", false),
            ("(1.0,)", "1.0.0+meta", false),
            ("(1.0,)", "1.0.0.1", true),
            ("(1.0,)", "1.0.1-alpha", true),
            ("[1.0]", "1.0.0", true),
            ("[1.0]", "1.0.0.0", true),
            ("[1.0]", "1.0.0+meta", true),
            ("[1.0]", "1.0.0.1", false),
            ("[1.0]", "1.0.0-rc", false),
            ("(,1.0]", "1.0.0", true),
            ("(,1.0]", "0.0.0", true),
            ("(,1.0]", "1.0.1", false),
            ("(,1.0)", "1.0.0", false),
            ("(,1.0)", "1.0.0-rc", true),
            ("(,1.0)", "0.9.9", true),
            ("[1.0,2.0)", "1.0.0", true),
            ("[1.0,2.0)", "1.5.0", true),
            ("[1.0,2.0)", "2.0.0-beta", true),
            ("[1.0,2.0)", "2.0.0", false),
            ("[1.0,2.0)", "0.9.0", false),
            ("[1.0,2.0]", "2.0.0", true),
            ("[1.0,2.0]", "2.0.0.1", false),
            ("(1.0,2.0)", "1.0.0", false),
            ("(1.0,2.0)", "1.0.0.1", true),
            ("(1.0,2.0)", "2.0.0", false),
        ];
        for (range, version, expected) in cases {
            assert_eq!(r(range).satisfies(&v(version)), expected, "{range} ∋ {version}");
        }
    }

    #[test]
    fn best_match_picks_the_lowest_satisfying_version() {
        let available: Vec<NuGetVersion> =
            ["2.0.0", "1.0.0-beta", "1.5.0", "1.0.0", "3.0.0-rc.1", "0.9.0", "1.0.0.1"].into_iter().map(v).collect();
        // (range, expected)
        let cases = [
            ("", Some("0.9.0")),
            ("1.0", Some("1.0.0")),
            ("1.0-alpha", Some("1.0.0-beta")),
            ("(1.0,)", Some("1.0.0.1")),
            ("[1.0]", Some("1.0.0")),
            ("(1.0.0.1,2.0)", Some("1.5.0")),
            ("(,1.0)", Some("0.9.0")),
            ("[2.0,)", Some("2.0.0")),
            ("(2.0,)", Some("3.0.0-rc.1")),
            ("(3.0,)", None),
            ("[1.1,1.4]", None),
        ];
        for (range, expected) in cases {
            assert_eq!(r(range).best_match(&available).map(NuGetVersion::normalized).as_deref(), expected, "{range}");
        }
        assert_eq!(VersionRange::all().best_match(&[]), None);
        assert_eq!(r("1.0").best_match(std::iter::empty()), None);
    }

    #[test]
    fn best_match_returns_the_first_of_equal_versions() {
        let available = [v("1.0.0+first"), v("1.0+second"), v("1.0.0.0+third")];
        let found = r("1.0").best_match(&available).unwrap();
        assert_eq!(found.metadata(), Some("first"));
        assert!(std::ptr::eq(found, &raw const available[0]));
    }

    #[test]
    fn detects_semver2_bounds() {
        let cases = [
            ("", false),
            ("1.0", false),
            ("1.0-beta", false),
            ("[1.0-beta, 2.0-rc]", false),
            ("1.0-beta.1", true),
            ("1.0+meta", true),
            ("[1.0, 2.0-rc.1)", true),
            ("(,2.0+meta]", true),
            ("[1.0-alpha.1]", true),
        ];
        for (range, expected) in cases {
            assert_eq!(r(range).is_semver2(), expected, "{range}");
        }
    }
}

//! Package identifiers: validation against nuget.org's rules and case-insensitive identity.

// "NuGet" is a product name in prose, not an identifier to put in backticks.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// nuget.org refuses ids longer than this; matching it keeps packages portable between feeds.
pub const MAX_ID_LENGTH: usize = 100;

/// A validated package id. The original casing is kept for display, but identity is
/// case-insensitive because NuGet clients treat `Foo` and `foo` as the same package.
#[derive(Debug, Clone)]
pub struct PackageId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("the package id is empty")]
    Empty,
    #[error("the package id is {len} characters long; the limit is 100")]
    TooLong { len: usize },
    #[error("the package id contains '{ch}'; only letters, digits, '.', '-' and '_' are allowed")]
    InvalidCharacter { ch: char },
    #[error("the package id must not start or end with '.' or contain '..'")]
    BadDots,
}

impl PackageId {
    /// Validates `s` exactly as given; no trimming, so a stray space is reported rather than
    /// silently producing an id the uploader did not write.
    ///
    /// # Errors
    /// Returns the first rule `s` breaks, checked in the order empty, length, characters, dots.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        // Counting chars (not bytes) so the message matches what the user typed even when
        // the id also contains non-ASCII characters.
        let len = s.chars().count();
        if len > MAX_ID_LENGTH {
            return Err(IdError::TooLong { len });
        }
        if let Some(ch) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))) {
            return Err(IdError::InvalidCharacter { ch });
        }
        if s.starts_with('.') || s.ends_with('.') || s.contains("..") {
            return Err(IdError::BadDots);
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The canonical key: flat-container URLs and uniqueness checks use this form.
    #[must_use]
    pub fn lower(&self) -> String {
        Self::key_of(self.0.clone())
    }

    /// The key of text that names an id but was not parsed as one (a v2 query's `id='…'`, which
    /// lists nothing rather than failing when it is not an id): the same folding as `lower`,
    /// done in place so the restore path allocates nothing for it.
    #[must_use]
    pub fn key_of(text: impl Into<String>) -> String {
        let mut text = text.into();
        text.make_ascii_lowercase();
        text
    }

    // Ids are ASCII-only, so byte-wise lowercase comparison is ordinal on the lower form
    // without allocating.
    fn lower_bytes(&self) -> impl Iterator<Item = u8> + '_ {
        self.0.bytes().map(|b| b.to_ascii_lowercase())
    }
}

impl PartialEq for PackageId {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for PackageId {}

impl Hash for PackageId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Must agree with the case-insensitive Eq.
        for b in self.lower_bytes() {
            state.write_u8(b);
        }
        // Terminator, like str's Hash, so prefixes of concatenated keys do not collide.
        state.write_u8(0xff);
    }
}

impl PartialOrd for PackageId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PackageId {
    fn cmp(&self, other: &Self) -> Ordering {
        self.lower_bytes().cmp(other.lower_bytes())
    }
}

impl fmt::Display for PackageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for PackageId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for PackageId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for PackageId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashSet};

    fn id(s: &str) -> PackageId {
        PackageId::parse(s).unwrap_or_else(|e| panic!("{s:?} should be valid: {e}"))
    }

    #[test]
    fn accepts_valid_ids() {
        let hundred = "a".repeat(100);
        let cases = [
            "a",
            "A",
            "1",
            "_",
            "-",
            "Newtonsoft.Json",
            "my-package_1.2",
            "_x",
            "-x",
            "x-",
            "x_",
            "a.b.c",
            "a.-b",
            "Microsoft.AspNetCore.Mvc",
            hundred.as_str(),
        ];
        for s in cases {
            let parsed = id(s);
            assert_eq!(parsed.as_str(), s);
            assert_eq!(parsed.to_string(), s);
        }
    }

    #[test]
    fn rejects_invalid_ids() {
        let long = "a".repeat(101);
        let long_with_bad_chars = " ".repeat(150);
        let cases: &[(&str, IdError)] = &[
            ("", IdError::Empty),
            (&long, IdError::TooLong { len: 101 }),
            // Length is checked before characters, so the user learns the bigger problem.
            (&long_with_bad_chars, IdError::TooLong { len: 150 }),
            ("  x", IdError::InvalidCharacter { ch: ' ' }),
            ("x ", IdError::InvalidCharacter { ch: ' ' }),
            (" ", IdError::InvalidCharacter { ch: ' ' }),
            ("x\ty", IdError::InvalidCharacter { ch: '\t' }),
            ("a/b", IdError::InvalidCharacter { ch: '/' }),
            ("a\\b", IdError::InvalidCharacter { ch: '\\' }),
            ("a+b", IdError::InvalidCharacter { ch: '+' }),
            ("a@b", IdError::InvalidCharacter { ch: '@' }),
            ("a,b", IdError::InvalidCharacter { ch: ',' }),
            ("über", IdError::InvalidCharacter { ch: 'ü' }),
            ("a\u{0}", IdError::InvalidCharacter { ch: '\u{0}' }),
            // Characters are checked before dots: the character is the more specific report.
            (".a b", IdError::InvalidCharacter { ch: ' ' }),
            (".", IdError::BadDots),
            ("..", IdError::BadDots),
            (".a", IdError::BadDots),
            ("a.", IdError::BadDots),
            ("a..b", IdError::BadDots),
            ("a...b", IdError::BadDots),
        ];
        for (s, expected) in cases {
            assert_eq!(PackageId::parse(s).unwrap_err(), *expected, "{s:?}");
            assert_eq!(s.parse::<PackageId>().unwrap_err(), *expected, "{s:?}");
        }
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let s = "ü".repeat(101);
        assert_eq!(PackageId::parse(&s).unwrap_err(), IdError::TooLong { len: 101 });
        let s = "ü".repeat(60);
        assert_eq!(PackageId::parse(&s).unwrap_err(), IdError::InvalidCharacter { ch: 'ü' });
    }

    #[test]
    fn error_messages_are_verbatim() {
        let cases = [
            (IdError::Empty, "the package id is empty"),
            (IdError::TooLong { len: 123 }, "the package id is 123 characters long; the limit is 100"),
            (
                IdError::InvalidCharacter { ch: '/' },
                "the package id contains '/'; only letters, digits, '.', '-' and '_' are allowed",
            ),
            (IdError::BadDots, "the package id must not start or end with '.' or contain '..'"),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
    }

    #[test]
    fn keeps_casing_but_compares_case_insensitively() {
        let a = id("Newtonsoft.Json");
        let b = id("newtonsoft.JSON");
        assert_eq!(a, b);
        assert_eq!(a.cmp(&b), Ordering::Equal);
        assert_eq!(a.as_str(), "Newtonsoft.Json");
        assert_eq!(a.to_string(), "Newtonsoft.Json");
        assert_eq!(format!("{a}"), "Newtonsoft.Json");
        assert_eq!(a.lower(), "newtonsoft.json");
        assert_eq!(b.lower(), "newtonsoft.json");
        assert_ne!(id("a"), id("b"));
        assert_ne!(id("a"), id("a.b"));
    }

    #[test]
    fn hash_agrees_with_eq() {
        let set: HashSet<PackageId> = ["Foo", "FOO", "foo", "fOo", "bar"].into_iter().map(id).collect();
        assert_eq!(set.len(), 2);
        assert!(set.contains(&id("FoO")));
        assert!(set.contains(&id("BAR")));
    }

    #[test]
    fn orders_ordinally_on_the_lowercase_form() {
        let sorted = ["_a", "A", "a-b", "a.b", "a_b", "B", "b0", "c"];
        for (i, x) in sorted.iter().enumerate() {
            for (j, y) in sorted.iter().enumerate() {
                assert_eq!(id(x).cmp(&id(y)), i.cmp(&j), "{x} vs {y}");
                assert_eq!(id(x).partial_cmp(&id(y)), Some(i.cmp(&j)), "{x} vs {y}");
            }
        }
        // A prefix sorts first.
        assert!(id("Foo") < id("foo.bar"));
        let set: BTreeSet<PackageId> = ["b", "A", "a", "C"].into_iter().map(id).collect();
        let names: Vec<String> = set.iter().map(PackageId::lower).collect();
        assert_eq!(names, ["a", "b", "c"]);
    }

    #[test]
    fn from_str_and_as_ref() {
        let parsed: PackageId = "My.Package".parse().unwrap();
        assert_eq!(parsed.as_ref(), "My.Package");
        assert_eq!(parsed, id("my.package"));
    }
}

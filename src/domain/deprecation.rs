//! Package deprecation as nuget.org models it: one or more reasons, an optional message and an
//! optional alternate package (an id and a version range). Parsed here once, for the portal form,
//! the JSON API and the database rows alike.
use super::id::PackageId;
use super::version_range::VersionRange;

/// nuget.org's limit on the custom message.
pub const MAX_MESSAGE_CHARS: usize = 4000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    Legacy,
    CriticalBugs,
    Other,
}

impl Reason {
    pub const ALL: [Reason; 3] = [Reason::Legacy, Reason::CriticalBugs, Reason::Other];

    /// The spelling of the registration leaf's `reasons` array.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Legacy => "Legacy",
            Reason::CriticalBugs => "CriticalBugs",
            Reason::Other => "Other",
        }
    }

    /// What the portal says for the reason ("it is no longer maintained"); `Other` has only the
    /// owner's message to say.
    pub fn label(self) -> Option<&'static str> {
        match self {
            Reason::Legacy => Some("is no longer maintained"),
            Reason::CriticalBugs => Some("has critical bugs"),
            Reason::Other => None,
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternate {
    pub id: PackageId,
    /// `None`: any version of the alternate (`"*"` on the wire).
    pub range: Option<VersionRange>,
}

impl Alternate {
    /// The registration leaf's `alternatePackage.range`: `*` for any version, as nuget.org writes it.
    pub fn range_text(&self) -> String {
        self.range.as_ref().map_or_else(|| "*".to_owned(), VersionRange::to_normalized_string)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deprecation {
    /// Sorted, without duplicates, never empty.
    pub reasons: Vec<Reason>,
    pub message: Option<String>,
    pub alternate: Option<Alternate>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeprecationError {
    #[error("Give at least one deprecation reason: Legacy, CriticalBugs or Other.")]
    NoReason,
    #[error("'{0}' is not a deprecation reason; use Legacy, CriticalBugs or Other.")]
    UnknownReason(String),
    #[error("The deprecation message is longer than {MAX_MESSAGE_CHARS} characters.")]
    MessageTooLong,
    #[error("'{0}' is not a valid alternate package id: {1}.")]
    BadAlternateId(String, String),
    #[error("'{0}' is not a valid version range for the alternate package.")]
    BadAlternateRange(String),
    #[error("A version range for the alternate package needs the alternate package id too.")]
    RangeWithoutId,
}

impl Deprecation {
    /// Parses what a form or JSON body sent. Blank strings count as absent.
    ///
    /// # Errors
    /// The first rule the input breaks, with a message for the user.
    pub fn parse<S: AsRef<str>>(
        reasons: &[S],
        message: Option<&str>,
        alternate_id: Option<&str>,
        alternate_range: Option<&str>,
    ) -> Result<Self, DeprecationError> {
        let mut parsed = Vec::new();
        for r in reasons.iter().map(AsRef::as_ref).filter(|r| !r.trim().is_empty()) {
            parsed.push(Reason::parse(r).ok_or_else(|| DeprecationError::UnknownReason(r.to_owned()))?);
        }
        parsed.sort();
        parsed.dedup();
        if parsed.is_empty() {
            return Err(DeprecationError::NoReason);
        }
        let message = message.map(str::trim).filter(|m| !m.is_empty()).map(str::to_owned);
        if message.as_ref().is_some_and(|m| m.chars().count() > MAX_MESSAGE_CHARS) {
            return Err(DeprecationError::MessageTooLong);
        }
        let alternate_id = alternate_id.map(str::trim).filter(|s| !s.is_empty());
        let alternate_range = alternate_range.map(str::trim).filter(|s| !s.is_empty() && *s != "*");
        let alternate = match (alternate_id, alternate_range) {
            (None, None) => None,
            (None, Some(_)) => return Err(DeprecationError::RangeWithoutId),
            (Some(id), range) => Some(Alternate {
                id: PackageId::parse(id).map_err(|e| DeprecationError::BadAlternateId(id.to_owned(), e.to_string()))?,
                range: range
                    .map(|r| VersionRange::parse(r).map_err(|_| DeprecationError::BadAlternateRange(r.to_owned())))
                    .transpose()?,
            }),
        };
        Ok(Self { reasons: parsed, message, alternate })
    }

    /// The reasons as stored: their wire names, comma-separated.
    pub fn reasons_text(&self) -> String {
        self.reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_reasons_message_and_alternate() {
        let d = Deprecation::parse(&["other", "Legacy", "Legacy"], Some("  use B  "), Some("B.Lib"), Some("[2.0.0, )"))
            .unwrap();
        assert_eq!(d.reasons, vec![Reason::Legacy, Reason::Other]);
        assert_eq!(d.reasons_text(), "Legacy,Other");
        assert_eq!(d.message.as_deref(), Some("use B"));
        let alt = d.alternate.unwrap();
        assert_eq!(alt.id.as_str(), "B.Lib");
        assert_eq!(alt.range_text(), "[2.0.0, )");
        let any = Deprecation::parse(&["CriticalBugs"], None, Some("B"), Some("*")).unwrap();
        assert_eq!(any.alternate.unwrap().range_text(), "*");
    }

    /// (reasons, message, alternate id, alternate range, the message's start).
    type Case<'a> = (&'a [&'a str], Option<&'a str>, Option<&'a str>, Option<&'a str>, &'a str);

    #[test]
    fn refuses_bad_input_with_a_message() {
        let long = "m".repeat(4001);
        let cases: [Case; 6] = [
            (&[], None, None, None, "Give at least one deprecation reason: Legacy, CriticalBugs or Other."),
            (&["Old"], None, None, None, "'Old' is not a deprecation reason; use Legacy, CriticalBugs or Other."),
            (
                &["Legacy"],
                None,
                None,
                Some("1.0"),
                "A version range for the alternate package needs the alternate package id too.",
            ),
            (&["Legacy"], None, Some("<b>"), None, "'<b>' is not a valid alternate package id: "),
            (&["Legacy"], None, Some("B"), Some("[x"), "'[x' is not a valid version range for the alternate package."),
            (&["Legacy"], Some(&long), None, None, "The deprecation message is longer than 4000 characters."),
        ];
        for (reasons, message, id, range, expected) in cases {
            let err = Deprecation::parse(reasons, message, id, range).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{err}");
        }
    }
}

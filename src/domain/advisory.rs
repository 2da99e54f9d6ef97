//! A security advisory an administrator records: a package id, the versions it affects, a
//! severity and the advisory's URL. Severity numbers are nuget.org's (0 low … 3 critical), the
//! ones `VulnerabilityInfo` pages and registration leaves carry.
use super::id::PackageId;
use super::version_range::VersionRange;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Low = 0,
    Moderate = 1,
    High = 2,
    Critical = 3,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Low, Severity::Moderate, Severity::High, Severity::Critical];

    /// Accepts the name (any case) or nuget.org's number.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL.into_iter().find(|v| v.name().eq_ignore_ascii_case(s) || v.number().to_string() == s)
    }

    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Moderate => "moderate",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn from_number(n: i64) -> Self {
        Self::ALL.into_iter().find(|s| i64::from(s.number()) == n).unwrap_or(Severity::Critical)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAdvisory {
    pub package_id: PackageId,
    pub range: VersionRange,
    pub severity: Severity,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdvisoryError {
    #[error("'{0}' is not a valid package id: {1}.")]
    BadId(String, String),
    #[error("Give the affected versions as a version range, such as \"[1.0.0, 1.2.0)\".")]
    NoRange,
    #[error("'{0}' is not a valid version range.")]
    BadRange(String),
    #[error("'{0}' is not a severity; use low, moderate, high or critical.")]
    BadSeverity(String),
    #[error("'{0}' is not an absolute http(s) URL; give the advisory's address.")]
    BadUrl(String),
}

impl NewAdvisory {
    /// # Errors
    /// The first field that is wrong, with a message for the operator.
    pub fn parse(id: &str, range: &str, severity: &str, url: &str) -> Result<Self, AdvisoryError> {
        let package_id = PackageId::parse(id.trim()).map_err(|e| AdvisoryError::BadId(id.to_owned(), e.to_string()))?;
        if range.trim().is_empty() {
            return Err(AdvisoryError::NoRange);
        }
        let range = VersionRange::parse(range).map_err(|_| AdvisoryError::BadRange(range.to_owned()))?;
        let severity = Severity::parse(severity).ok_or_else(|| AdvisoryError::BadSeverity(severity.to_owned()))?;
        let url = super::web_url::parse(url).ok_or_else(|| AdvisoryError::BadUrl(url.to_owned()))?.to_string();
        Ok(Self { package_id, range, severity, url })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_advisory() {
        let a = NewAdvisory::parse("Acme.Core", "[1.0.0, 1.2.0)", "High", "https://example.com/GHSA-1").unwrap();
        assert_eq!(a.severity.number(), 2);
        assert_eq!(a.range.to_normalized_string(), "[1.0.0, 1.2.0)");
        assert_eq!(Severity::parse("3"), Some(Severity::Critical));
    }

    #[test]
    fn refuses_each_bad_field() {
        for (id, range, severity, url, expected) in [
            ("a b", "1.0", "low", "https://x.example", "'a b' is not a valid package id: "),
            ("A", " ", "low", "https://x.example", "Give the affected versions as a version range"),
            ("A", "[1.0", "low", "https://x.example", "'[1.0' is not a valid version range."),
            (
                "A",
                "1.0",
                "severe",
                "https://x.example",
                "'severe' is not a severity; use low, moderate, high or critical.",
            ),
            ("A", "1.0", "low", "javascript:alert(1)", "'javascript:alert(1)' is not an absolute http(s) URL"),
        ] {
            let err = NewAdvisory::parse(id, range, severity, url).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{err}");
        }
    }
}

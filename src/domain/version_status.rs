//! Where a pushed version is in its life, and who may see it there. Stored as lower-case text
//! in `package_versions.status` (SQL filters on `'available'` directly, for speed and indexes);
//! everywhere else it is this type, so a typo is a compile error rather than a hidden version.
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionStatus {
    /// Stored, waiting for its scan (`[scan] mode = "async"`, or the scanner was unavailable).
    #[default]
    Validating,
    /// Scanned and published: served to clients (listed or not).
    Available,
    /// Refused by the scanner at push time.
    Failed,
    /// Found infected by a later rescan; its files are withdrawn.
    Quarantined,
    /// Hard-deleted by an administrator. The row stays so that the id+version is never reused.
    Deleted,
}

impl VersionStatus {
    pub const ALL: [VersionStatus; 5] = [
        VersionStatus::Validating,
        VersionStatus::Available,
        VersionStatus::Failed,
        VersionStatus::Quarantined,
        VersionStatus::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VersionStatus::Validating => "validating",
            VersionStatus::Available => "available",
            VersionStatus::Failed => "failed",
            VersionStatus::Quarantined => "quarantined",
            VersionStatus::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether a new push of the same id+version may take this one's place: only when nothing was
    /// ever published under it (no row, or a push the scanner refused). A deleted version's
    /// number is never reused, as on nuget.org.
    pub fn may_be_replaced(status: Option<Self>) -> bool {
        matches!(status, None | Some(VersionStatus::Failed))
    }

    /// Who may see a version in this state, whether listed or not: everyone once it is available;
    /// owners and administrators (`sees_hidden`) while it is validating, refused or quarantined,
    /// so they can find out why; nobody once deleted.
    pub fn visible_to(self, sees_hidden: bool) -> bool {
        match self {
            VersionStatus::Available => true,
            VersionStatus::Validating | VersionStatus::Failed | VersionStatus::Quarantined => sees_hidden,
            VersionStatus::Deleted => false,
        }
    }
}

impl std::fmt::Display for VersionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_from_its_stored_text() {
        for status in VersionStatus::ALL {
            assert_eq!(VersionStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(VersionStatus::parse("Available"), None);
    }

    #[test]
    fn hidden_versions_are_for_owners_and_deleted_ones_for_nobody() {
        assert!(VersionStatus::Available.visible_to(false));
        assert!(!VersionStatus::Quarantined.visible_to(false));
        assert!(VersionStatus::Quarantined.visible_to(true));
        assert!(!VersionStatus::Deleted.visible_to(true));
        assert!(VersionStatus::may_be_replaced(Some(VersionStatus::Failed)));
        assert!(!VersionStatus::may_be_replaced(Some(VersionStatus::Deleted)));
    }
}

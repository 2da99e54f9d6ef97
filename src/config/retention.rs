//! `[[retention]]` rules: which old versions the retention job unlists or deletes.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RetentionAction {
    /// Hidden from search and "latest"; still restorable by exact version.
    Unlist,
    /// Files removed (as an administrator's hard delete); the id+version stays reserved.
    Delete,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionRule {
    /// Package id globs (`*`, `Acme.*`), case-insensitive. The first rule matching an id decides.
    pub ids: Vec<String>,
    /// Prerelease versions to keep, newest first; 0 keeps all.
    pub keep_latest_prerelease: u32,
    /// Stable versions to keep, newest first; 0 keeps all.
    pub keep_latest_stable: u32,
    /// Only versions published more than this many days ago go; 0 = any age.
    pub older_than_days: u32,
    pub action: RetentionAction,
}

impl Default for RetentionRule {
    fn default() -> Self {
        Self {
            ids: vec!["*".into()],
            keep_latest_prerelease: 0,
            keep_latest_stable: 0,
            older_than_days: 0,
            action: RetentionAction::Unlist,
        }
    }
}

/// Refuses a rule that could not be applied, naming it by its position.
pub fn validate(rules: &[RetentionRule]) -> Result<(), String> {
    for (i, rule) in rules.iter().enumerate() {
        let n = i + 1;
        if rule.ids.iter().all(|p| p.trim().is_empty()) {
            return Err(format!("[[retention]] rule {n}: ids must list at least one id pattern, such as \"*\""));
        }
        crate::domain::api_key::PackageGlobs::parse(&rule.ids)
            .map_err(|e| format!("[[retention]] rule {n}: ids: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_bad_ones_are_named() {
        let config = crate::config::Config::from_toml(
            "[[retention]]\nids = [\"Acme.*\"]\nkeep_latest_prerelease = 10\naction = \"delete\"\n",
        )
        .unwrap();
        assert_eq!(config.retention[0].keep_latest_prerelease, 10);
        assert_eq!(config.retention[0].action, RetentionAction::Delete);
        let empty = RetentionRule { ids: vec![String::new()], ..RetentionRule::default() };
        assert_eq!(
            validate(&[RetentionRule::default(), empty]).unwrap_err(),
            "[[retention]] rule 2: ids must list at least one id pattern, such as \"*\""
        );
        let bad = RetentionRule { ids: vec!["a b".into()], ..RetentionRule::default() };
        assert_eq!(
            validate(&[bad]).unwrap_err(),
            "[[retention]] rule 1: ids: 'a b' is not a package id pattern; use letters, digits, '.', '-', '_' and '*'"
        );
        let err = crate::config::Config::from_toml("[[retention]]\naction = \"shred\"\n").unwrap_err();
        assert!(err.contains("action"), "{err}");
    }
}

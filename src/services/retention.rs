//! The retention job: applies the `[[retention]]` rules through the same unlist and delete
//! service as the API (audited as the actor "retention"; search and rendered documents follow).
use super::lifecycle::{self, Change};
use super::permissions::Principal;
use crate::config::{RetentionAction, RetentionRule};
use crate::db::packages;
use crate::domain::api_key::PackageGlobs;
use crate::domain::id::PackageId;
use crate::domain::retention::{self, Candidate, Kept, Limits};
use crate::domain::version_range::VersionRange;
use crate::error::AppError;
use crate::state::AppState;
use std::collections::BTreeMap;
use std::fmt;

/// One version the rules remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub id: String,
    pub version: String,
    pub action: RetentionAction,
    /// 1-based position of the rule in the configuration.
    pub rule: usize,
}

/// What a run did (or, dry, would do), and what it kept against the rules and why.
#[derive(Debug, Default)]
pub struct Report {
    pub dry_run: bool,
    pub removals: Vec<Removal>,
    pub kept: Vec<String>,
}

impl Report {
    /// One line per version, for `galley retention`.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .removals
            .iter()
            .map(|r| {
                let verb = match (self.dry_run, r.action) {
                    (true, RetentionAction::Unlist) => "would unlist",
                    (true, RetentionAction::Delete) => "would delete",
                    (false, RetentionAction::Unlist) => "unlisted",
                    (false, RetentionAction::Delete) => "deleted",
                };
                format!("{verb} {} {} (rule {})", r.id, r.version, r.rule)
            })
            .collect();
        lines.extend(self.kept.iter().cloned());
        lines
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = |a| self.removals.iter().filter(|r| r.action == a).count();
        let (unlist, delete) = (count(RetentionAction::Unlist), count(RetentionAction::Delete));
        if self.dry_run {
            write!(f, "{unlist} versions would be unlisted, {delete} deleted")
        } else {
            write!(f, "{unlist} versions unlisted, {delete} deleted")
        }
    }
}

/// Decides what the rules remove now. Blocking.
pub fn plan(state: &AppState, now: chrono::DateTime<chrono::Utc>) -> Result<Report, AppError> {
    let rules = &state.config.retention;
    let globs: Vec<PackageGlobs> = rules
        .iter()
        .map(|r| PackageGlobs::parse(&r.ids).map_err(|e| AppError::internal(anyhow::anyhow!(e))))
        .collect::<Result<_, _>>()?;
    let mut report = Report { dry_run: true, ..Report::default() };
    if rules.is_empty() {
        return Ok(report);
    }
    let conn = state.conn()?;
    let mut input = BTreeMap::new();
    let mut names = BTreeMap::new();
    let mut rule_of = BTreeMap::new();
    for id_lower in packages::all_ids(&conn)? {
        let Some(package) = packages::load(&conn, &id_lower)? else { continue };
        let rule = globs.iter().position(|g| g.allows(&package.package_id));
        let limits = rule.map(|i| limits(&rules[i]));
        let versions = package.available().map(|v| candidate(v, now)).collect();
        if let Some(i) = rule {
            rule_of.insert(id_lower.clone(), (i + 1, rules[i].action));
        }
        names.insert(id_lower.clone(), package.package_id.clone());
        input.insert(id_lower, (limits, versions));
    }
    let plan = retention::plan(&input);
    let name = |id: &String| names.get(id).cloned().unwrap_or_else(|| id.clone());
    for (id, version) in &plan.remove {
        let (rule, action) = rule_of[id];
        report.removals.push(Removal { id: name(id), version: version.normalized(), action, rule });
    }
    for ((id, version), why) in &plan.kept {
        let why = match why {
            Kept::LatestStable => "the latest stable version".to_owned(),
            Kept::DependedOnBy(dep_id, dep_version) => format!("{} {dep_version} depends on it", name(dep_id)),
        };
        report.kept.push(format!("kept {} {}: {why}", name(id), version.normalized()));
    }
    Ok(report)
}

/// Applies the rules: every removal through the lifecycle service. Blocking.
pub fn run(state: &AppState, now: chrono::DateTime<chrono::Utc>) -> Result<Report, AppError> {
    let mut report = plan(state, now)?;
    report.dry_run = false;
    let actor = Principal::operator(None, "retention");
    for r in &report.removals {
        let change = match r.action {
            RetentionAction::Unlist => Change::Unlist,
            RetentionAction::Delete => Change::Delete,
        };
        lifecycle::apply(state, &actor, &r.id, &r.version, change, None)?;
    }
    Ok(report)
}

fn limits(rule: &RetentionRule) -> Limits {
    Limits {
        keep_latest_prerelease: rule.keep_latest_prerelease,
        keep_latest_stable: rule.keep_latest_stable,
        older_than_days: rule.older_than_days,
        only_listed: rule.action == RetentionAction::Unlist,
    }
}

fn candidate(v: &crate::domain::records::VersionRecord, now: chrono::DateTime<chrono::Utc>) -> Candidate {
    let published =
        chrono::DateTime::parse_from_rfc3339(&v.published_at).map_or(now, |d| d.with_timezone(&chrono::Utc));
    Candidate {
        version: v.version(),
        listed: v.listed,
        age_days: (now - published).num_days(),
        dependencies: v
            .dependency_groups
            .iter()
            .flat_map(|g| &g.dependencies)
            .map(|d| {
                (
                    PackageId::key_of(d.id.as_str()),
                    VersionRange::parse(&d.range).unwrap_or_else(|_| VersionRange::all()),
                )
            })
            .collect(),
    }
}

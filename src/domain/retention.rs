//! Which versions a retention rule removes: pure, so the dry run and the job decide alike.
//!
//! Per id, versions are ranked newest first, prereleases and stable versions separately; those
//! beyond the rule's keep counts (and older than its age limit) are candidates. Never removed: the
//! latest stable version, and any version that a kept version of any local package depends on
//! (the lowest version its range allows, the one a restore picks). Keeping a candidate for that
//! reason keeps its own dependencies too, so the check repeats until nothing changes.
use super::version::NuGetVersion;
use super::version_range::VersionRange;
use std::collections::{BTreeMap, BTreeSet};

/// One available version, as the planner needs it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub version: NuGetVersion,
    pub listed: bool,
    /// Days since it was published.
    pub age_days: i64,
    /// (dependency id lower-case, range).
    pub dependencies: Vec<(String, VersionRange)>,
}

/// The rule as the planner applies it (see `config::RetentionRule`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub keep_latest_prerelease: u32,
    pub keep_latest_stable: u32,
    pub older_than_days: u32,
    /// Unlisting skips versions already unlisted.
    pub only_listed: bool,
}

/// Why a version stays although the rule would remove it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    LatestStable,
    /// (dependent id, dependent version).
    DependedOnBy(String, String),
}

#[derive(Debug, Default)]
pub struct Plan {
    /// (id lower-case, version) to remove.
    pub remove: BTreeSet<(String, NuGetVersion)>,
    /// What the rules would have removed but must keep, and why.
    pub kept: BTreeMap<(String, NuGetVersion), Kept>,
}

/// `packages`: every local id (lower-case) with its available versions; `limits`: the rule that
/// applies to the id, or `None` when no rule does.
pub fn plan(packages: &BTreeMap<String, (Option<Limits>, Vec<Candidate>)>) -> Plan {
    let mut plan = Plan::default();
    for (id, (limits, versions)) in packages {
        let Some(limits) = limits else { continue };
        let mut sorted: Vec<&Candidate> = versions.iter().collect();
        sorted.sort_by(|a, b| b.version.cmp(&a.version));
        let latest_stable = sorted.iter().find(|c| !c.version.is_prerelease()).map(|c| c.version.clone());
        let (mut prereleases, mut stables) = (0u32, 0u32);
        for c in sorted {
            let (seen, keep) = if c.version.is_prerelease() {
                (&mut prereleases, limits.keep_latest_prerelease)
            } else {
                (&mut stables, limits.keep_latest_stable)
            };
            *seen += 1;
            let beyond = keep != 0 && *seen > keep;
            let old_enough = c.age_days >= i64::from(limits.older_than_days);
            if !beyond || !old_enough || (limits.only_listed && !c.listed) {
                continue;
            }
            if latest_stable.as_ref() == Some(&c.version) {
                plan.kept.insert((id.clone(), c.version.clone()), Kept::LatestStable);
            } else {
                plan.remove.insert((id.clone(), c.version.clone()));
            }
        }
    }
    // Versions depended on by what stays, repeated until stable (each pass keeps at least one more
    // version or ends, so it runs at most once per version).
    loop {
        let mut needed: Option<((String, NuGetVersion), Kept)> = None;
        'search: for (id, (_, versions)) in packages {
            for c in versions.iter().filter(|c| !plan.remove.contains(&(id.clone(), c.version.clone()))) {
                for (dep_id, range) in &c.dependencies {
                    let Some((_, dep_versions)) = packages.get(dep_id) else { continue };
                    let resolved = range.best_match(dep_versions.iter().map(|d| &d.version));
                    if let Some(v) = resolved.filter(|v| plan.remove.contains(&(dep_id.clone(), (*v).clone()))) {
                        needed =
                            Some(((dep_id.clone(), v.clone()), Kept::DependedOnBy(id.clone(), c.version.normalized())));
                        break 'search;
                    }
                }
            }
        }
        let Some((key, why)) = needed else { break };
        plan.remove.remove(&key);
        plan.kept.insert(key, why);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> NuGetVersion {
        NuGetVersion::parse(s).unwrap()
    }

    fn candidate(version: &str, age_days: i64, deps: &[(&str, &str)]) -> Candidate {
        Candidate {
            version: v(version),
            listed: true,
            age_days,
            dependencies: deps.iter().map(|(id, r)| ((*id).to_owned(), VersionRange::parse(r).unwrap())).collect(),
        }
    }

    const KEEP_3_PRE: Limits =
        Limits { keep_latest_prerelease: 3, keep_latest_stable: 1, older_than_days: 0, only_listed: true };

    #[test]
    fn keeps_the_newest_and_the_latest_stable_and_what_kept_versions_need() {
        let mut lib: Vec<Candidate> = (1..=6).map(|n| candidate(&format!("2.0.0-ci.{n}"), 10, &[])).collect();
        lib.push(candidate("1.0.0", 10, &[]));
        lib.push(candidate("1.1.0", 10, &[]));
        // The app (no rule) pins an old prerelease of the library.
        let app = vec![candidate("1.0.0", 10, &[("lib", "[2.0.0-ci.2, )")])];
        let packages = BTreeMap::from([("lib".to_owned(), (Some(KEEP_3_PRE), lib)), ("app".to_owned(), (None, app))]);
        let plan = plan(&packages);
        let removed: Vec<String> = plan.remove.iter().map(|(_, v)| v.normalized()).collect();
        assert_eq!(removed, ["1.0.0", "2.0.0-ci.1", "2.0.0-ci.3"]);
        assert_eq!(plan.kept[&("lib".to_owned(), v("2.0.0-ci.2"))], Kept::DependedOnBy("app".into(), "1.0.0".into()));
    }

    #[test]
    fn the_latest_stable_and_young_versions_stay() {
        let limits =
            Limits { keep_latest_prerelease: 1, keep_latest_stable: 1, older_than_days: 30, only_listed: true };
        let lib = vec![candidate("1.0.0-a", 40, &[]), candidate("1.0.0-b", 5, &[]), candidate("1.0.0-c", 40, &[])];
        let plan = plan(&BTreeMap::from([("lib".to_owned(), (Some(limits), lib))]));
        let removed: Vec<String> = plan.remove.iter().map(|(_, v)| v.normalized()).collect();
        assert_eq!(removed, ["1.0.0-a"]);
    }
}

//! `GetUpdates()`: for each installed id+version, the newer listed versions (only the newest
//! unless `includeAllVersions`), within an optional version constraint, as nuget.org answers it.
//!
//! `targetFrameworks` is accepted and does not narrow the answer: nuget.org filters by the
//! frameworks a package declares supporting, and treats a package without that list as
//! compatible with everything; Galley does not record the list, so every package is in that case.
use super::{filter, next_page, page_window, window_count, FeedPage};
use crate::db::feed_v2::{self, BoolColumn, Condition, Hit, OrderKey, VersionQuery};
use crate::domain::id::PackageId;
use crate::domain::version::NuGetVersion;
use crate::domain::version_range::VersionRange;
use crate::error::AppError;
use crate::protocol::odata_query::QueryOptions;
use crate::state::AppState;
use std::collections::HashMap;

/// The function's parameters, already unquoted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdatesRequest {
    pub package_ids: String,
    pub versions: String,
    pub include_prerelease: bool,
    pub include_all_versions: bool,
    pub version_constraints: String,
}

type Installed = HashMap<String, Vec<(NuGetVersion, Option<VersionRange>)>>;

/// The installed versions by lowercase id; `None` when no id was given.
fn installed(req: &UpdatesRequest) -> Result<Option<Installed>, AppError> {
    let split =
        |s: &str| s.trim().split('|').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect::<Vec<_>>();
    let ids = split(&req.package_ids);
    if ids.is_empty() {
        return Ok(None);
    }
    let versions = split(&req.versions);
    if versions.len() != ids.len() {
        return Err(AppError::BadRequest(format!(
            "GetUpdates needs one version for each package id: {} ids, {} versions.",
            ids.len(),
            versions.len()
        )));
    }
    let constraints: Vec<&str> = if req.version_constraints.trim().is_empty() {
        vec![""; ids.len()]
    } else {
        req.version_constraints.split('|').map(str::trim).collect()
    };
    if constraints.len() != ids.len() {
        return Err(AppError::BadRequest(format!(
            "GetUpdates needs one version constraint for each package id (empty for none): {} ids, {} constraints.",
            ids.len(),
            constraints.len()
        )));
    }
    let mut installed: Installed = HashMap::new();
    for ((id, version), constraint) in ids.iter().zip(&versions).zip(constraints) {
        let version = NuGetVersion::parse(version)
            .map_err(|_| AppError::BadRequest(format!("'{version}' in versions is not a valid version.")))?;
        let constraint = if constraint.is_empty() {
            None
        } else {
            Some(VersionRange::parse(constraint).map_err(|_| {
                AppError::BadRequest(format!("'{constraint}' in versionConstraints is not a valid version range."))
            })?)
        };
        installed.entry(PackageId::key_of(id)).or_default().push((version, constraint));
    }
    Ok(Some(installed))
}

/// Every update in the listing's order.
fn updates(
    state: &AppState,
    req: &UpdatesRequest,
    options: &QueryOptions,
    semver2: bool,
) -> Result<Vec<Hit>, AppError> {
    let Some(installed) = installed(req)? else {
        return Ok(Vec::new());
    };
    let mut conditions =
        vec![Condition::IdIn(installed.keys().cloned().collect()), Condition::Flag(BoolColumn::Listed)];
    if !req.include_prerelease {
        conditions.push(Condition::Not(Box::new(Condition::Flag(BoolColumn::IsPrerelease))));
    }
    if let Some(expr) = &options.filter {
        conditions.push(filter::condition(expr)?);
    }
    let condition = Condition::All(conditions);
    let mut order = filter::order(&options.orderby)?;
    if order.is_empty() {
        order = vec![(OrderKey::Id, false), (OrderKey::Version, false)];
    }
    let query = VersionQuery { semver2, fts: None, condition: &condition, order: &order };
    let hits = feed_v2::select(&state.conn()?, &query, 0, None)?;
    let mut found: Vec<(Hit, NuGetVersion)> = hits
        .into_iter()
        .filter_map(|hit| {
            let version = NuGetVersion::parse(&hit.version_full).ok()?;
            let wanted = installed.get(&hit.id_lower)?.iter().any(|(current, constraint)| {
                version > *current && constraint.as_ref().is_none_or(|c| c.satisfies(&version))
            });
            wanted.then_some((hit, version))
        })
        .collect();
    if !req.include_all_versions {
        let mut newest: HashMap<String, NuGetVersion> = HashMap::new();
        for (hit, version) in &found {
            let best = newest.entry(hit.id_lower.clone()).or_insert_with(|| version.clone());
            if version > best {
                *best = version.clone();
            }
        }
        found.retain(|(hit, version)| newest.get(&hit.id_lower) == Some(version));
    }
    Ok(found.into_iter().map(|(hit, _)| hit).collect())
}

/// One page of `GetUpdates()`.
pub fn list(
    state: &AppState,
    req: &UpdatesRequest,
    options: &QueryOptions,
    semver2: bool,
) -> Result<FeedPage, AppError> {
    let all = updates(state, req, options, semver2)?;
    let limit = page_window(state, options);
    let keys: Vec<i64> = all.iter().skip(options.skip).take(limit).map(|h| h.key).collect();
    let more = all.len() > options.skip.saturating_add(limit);
    let entries = feed_v2::load_entries(&state.conn()?, &keys, semver2)?;
    Ok(FeedPage { entries, count: options.inline_count.then_some(all.len()), next: next_page(options, limit, more) })
}

/// `GetUpdates()/$count`.
pub fn count(state: &AppState, req: &UpdatesRequest, options: &QueryOptions, semver2: bool) -> Result<usize, AppError> {
    Ok(window_count(updates(state, req, options, semver2)?.len(), options))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(ids: &str, versions: &str, constraints: &str) -> UpdatesRequest {
        UpdatesRequest {
            package_ids: ids.into(),
            versions: versions.into(),
            version_constraints: constraints.into(),
            ..Default::default()
        }
    }

    #[test]
    fn parameters_pair_up() {
        let map = installed(&req("A|b", "1.0|2.0", "|[1.0,3.0)")).unwrap().unwrap();
        assert_eq!(map["a"][0].0.normalized(), "1.0.0");
        assert!(map["a"][0].1.is_none());
        assert_eq!(map["b"][0].1.as_ref().unwrap().to_normalized_string(), "[1.0.0, 3.0.0)");
        assert!(installed(&req("", "", "")).unwrap().is_none());
    }

    #[test]
    fn mismatches_and_bad_values_are_refused() {
        let err = |r: UpdatesRequest| installed(&r).unwrap_err().to_string();
        assert_eq!(err(req("A|B", "1.0", "")), "GetUpdates needs one version for each package id: 2 ids, 1 versions.");
        assert_eq!(
            err(req("A|B", "1.0|1.0", "[1.0,)")),
            "GetUpdates needs one version constraint for each package id (empty for none): 2 ids, 1 constraints."
        );
        assert_eq!(err(req("A", "x.y", "")), "'x.y' in versions is not a valid version.");
        assert_eq!(err(req("A", "1.0", "[2.0")), "'[2.0' in versionConstraints is not a valid version range.");
    }
}

//! `galley mirror fetch`: a package and, on request, its dependency closure fetched ahead of time
//! for offline use, through the same read-through path a restore takes.
use super::fetch::{fetch_package, FetchOutcome};
use crate::domain::id::PackageId;
use crate::domain::version::NuGetVersion;
use crate::domain::version_range::VersionRange;
use crate::error::AppError;
use crate::services::blocking;
use crate::state::AppState;
use std::collections::{HashSet, VecDeque};

/// Most packages one prefetch walks: a bound on a runaway graph.
const MAX_PACKAGES: usize = 2000;

#[derive(Debug, Default)]
pub struct PrefetchReport {
    /// Fetched now or held already: `Id version`.
    pub stored: Vec<String>,
    /// Dependencies that are local ids (local wins: never taken from an upstream).
    pub local: Vec<String>,
    /// What could not be had, with why.
    pub failed: Vec<String>,
}

/// What to fetch: an id and a version, or a range (a dependency) resolved against the
/// upstream's list with NuGet's "lowest applicable version" rule.
enum Want {
    Exact(NuGetVersion),
    Range(VersionRange),
    Latest,
}

pub async fn prefetch(
    state: &AppState,
    id: &str,
    version: Option<&str>,
    with_dependencies: bool,
) -> Result<PrefetchReport, AppError> {
    let first = match version {
        Some(v) => Want::Exact(
            NuGetVersion::parse(v).map_err(|e| AppError::BadRequest(format!("'{v}' is not a version: {e}")))?,
        ),
        None => Want::Latest,
    };
    let mut report = PrefetchReport::default();
    let mut queue = VecDeque::from([(PackageId::key_of(id), first)]);
    let mut seen = HashSet::new();
    while let Some((id_lower, want)) = queue.pop_front() {
        if seen.len() >= MAX_PACKAGES {
            report.failed.push(format!("stopped after {MAX_PACKAGES} packages"));
            break;
        }
        if state.docs.lookup(&id_lower).is_some_and(|s| s.upstream.is_none()) {
            report.local.push(id_lower);
            continue;
        }
        let Some(list) = super::metadata::versions(state, &id_lower).await? else {
            report.failed.push(format!("{id_lower}: no upstream may supply it or has it"));
            continue;
        };
        let parsed: Vec<NuGetVersion> = list.versions.iter().filter_map(|v| NuGetVersion::parse(v).ok()).collect();
        let chosen = match &want {
            Want::Exact(v) => parsed.iter().find(|p| *p == v),
            Want::Range(range) => range.best_match(&parsed),
            Want::Latest => parsed.iter().filter(|v| !v.is_prerelease()).max().or_else(|| parsed.iter().max()),
        };
        let Some(chosen) = chosen else {
            report.failed.push(format!("{id_lower}: no version the upstream lists matches"));
            continue;
        };
        let version_lower = chosen.lower_normalized();
        if !seen.insert(format!("{id_lower}/{version_lower}")) {
            continue;
        }
        match fetch_package(state, &id_lower, &version_lower).await? {
            FetchOutcome::Stored => report.stored.push(format!("{id_lower} {version_lower}")),
            FetchOutcome::Unavailable => {
                report.failed.push(format!("{id_lower} {version_lower}: the upstream did not deliver it"));
                continue;
            }
            FetchOutcome::Refused(why) => {
                report.failed.push(format!("{id_lower} {version_lower}: refused ({why})"));
                continue;
            }
        }
        if with_dependencies {
            for (dependency, range) in dependencies(state, &id_lower, &version_lower).await? {
                queue.push_back((dependency, Want::Range(range)));
            }
        }
    }
    Ok(report)
}

/// The dependencies of a stored version, every target framework's.
async fn dependencies(
    state: &AppState,
    id_lower: &str,
    version_lower: &str,
) -> Result<Vec<(String, VersionRange)>, AppError> {
    let (state, id, version) = (state.clone(), id_lower.to_owned(), version_lower.to_owned());
    blocking(move || {
        let package = crate::db::packages::load(&state.conn()?, &id)?;
        let Some(v) = package.as_ref().and_then(|p| p.versions.iter().find(|v| v.version_lower == version)) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for dependency in v.dependency_groups.iter().flat_map(|g| &g.dependencies) {
            let range = if dependency.range.is_empty() {
                VersionRange::all()
            } else {
                VersionRange::parse(&dependency.range).unwrap_or_else(|_| VersionRange::all())
            };
            out.push((PackageId::key_of(&dependency.id), range));
        }
        Ok(out)
    })
    .await
}

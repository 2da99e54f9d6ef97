//! The dependency-confusion guard, the one rule every read-through path asks: an id that exists
//! locally (any version, any state, hard-deleted ones too) or starts with a reserved prefix is
//! local-only; otherwise the upstreams whose `include` admits it and whose `exclude` does not may
//! supply it, in configuration order.
use crate::config::upstream::IdFilter;
use crate::db::upstreams::LocalFacts;
use crate::domain::id::PackageId;
use crate::error::AppError;
use crate::services::blocking;
use crate::state::AppState;
use std::collections::HashSet;

/// The upstreams (indexes in configuration order) that may supply the id.
pub fn suppliers<'a>(facts: LocalFacts, filters: impl IntoIterator<Item = &'a IdFilter>, id_lower: &str) -> Vec<usize> {
    if facts.local || facts.reserved {
        return Vec::new();
    }
    filters.into_iter().enumerate().filter(|(_, f)| f.admits(id_lower)).map(|(i, _)| i).collect()
}

/// Asks the database for the id's local facts (one query; only for ids the rendered documents do
/// not hold as local) and applies the rule.
pub async fn allowed(state: &AppState, id_lower: &str) -> Result<Vec<usize>, AppError> {
    if !state.mirror.enabled() {
        return Ok(Vec::new());
    }
    let filters: Vec<&IdFilter> = state.mirror.upstreams.iter().map(|u| &u.filter).collect();
    // Nothing to ask the database when no upstream would take the id anyway.
    if suppliers(LocalFacts::default(), filters.iter().copied(), id_lower).is_empty() {
        return Ok(Vec::new());
    }
    let conn_state = state.clone();
    let id = id_lower.to_owned();
    let facts = blocking(move || Ok(crate::db::upstreams::local_facts(&conn_state.conn()?, &id)?)).await?;
    Ok(suppliers(facts, filters, id_lower))
}

/// Of the ids an upstream's search hit (`index` in configuration order), those it may list here:
/// ones the guard lets it supply that are not stored here at all (a stored id, mirrored or local,
/// is local search's to list). One blocking call for the page.
pub async fn listable(state: &AppState, index: usize, ids: Vec<String>) -> Result<HashSet<String>, AppError> {
    let filter = &state.mirror.upstreams[index].filter;
    let candidates: Vec<String> = ids.into_iter().map(PackageId::key_of).filter(|id| filter.admits(id)).collect();
    if candidates.is_empty() {
        return Ok(HashSet::new());
    }
    let state = state.clone();
    blocking(move || {
        let conn = state.conn()?;
        let mut listable = HashSet::new();
        for id in candidates {
            let facts = crate::db::upstreams::local_facts(&conn, &id)?;
            let stored = crate::db::upstreams::upstream_of(&conn, &id)?.is_some();
            if !facts.local && !facts.reserved && !stored {
                listable.insert(id);
            }
        }
        Ok(listable)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::UpstreamConfig;

    fn filter(include: &[&str], exclude: &[&str]) -> IdFilter {
        IdFilter::new(&UpstreamConfig {
            include: include.iter().map(|s| (*s).to_owned()).collect(),
            exclude: exclude.iter().map(|s| (*s).to_owned()).collect(),
            ..UpstreamConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn local_and_reserved_ids_are_never_supplied() {
        let all = [filter(&["*"], &[])];
        let none = LocalFacts::default();
        assert_eq!(suppliers(none, &all, "newtonsoft.json"), [0]);
        // Contoso.Internal pushed here once (even if since hard-deleted): nuget.org's 99.0 never wins.
        assert!(suppliers(LocalFacts { local: true, reserved: false }, &all, "contoso.internal").is_empty());
        // `galley prefix reserve Contoso.` before the first push.
        assert!(suppliers(LocalFacts { local: false, reserved: true }, &all, "contoso.next").is_empty());
    }

    #[test]
    fn include_and_exclude_pick_the_upstreams_in_order() {
        let filters = [filter(&["Contoso.*"], &[]), filter(&["*"], &["Contoso.*", "Internal.*"])];
        let none = LocalFacts::default();
        assert_eq!(suppliers(none, &filters, "contoso.shared"), [0]);
        assert_eq!(suppliers(none, &filters, "serilog"), [1]);
        assert!(suppliers(none, &filters, "internal.tools").is_empty());
    }
}

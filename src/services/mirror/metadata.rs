//! Upstream version lists and registration documents: fresh for the upstream's
//! `metadata_ttl_minutes`, then asked again; when the upstream fails, the last answer is served
//! (stale, with a warning) rather than none.
use super::{CachedDocument, VersionList};
use crate::domain::version::NuGetVersion;
use crate::error::AppError;
use crate::protocol::urls::Hive;
use crate::state::AppState;
use crate::upstream::Fetched;
use bytes::Bytes;
use sha2::Digest;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// The id's version list from the first upstream (in order, among those the guard allows) that
/// has the id; `None` when none has it, or none answers and nothing is cached.
pub async fn versions(state: &AppState, id_lower: &str) -> Result<Option<VersionList>, AppError> {
    let mirror = &state.mirror;
    // A fresh list passed the guard when it was fetched: restores of a cached id run no SQL. A
    // prefix reserved since then takes effect at the next refresh; a package file is never
    // fetched without asking the guard again (`fetch`).
    if let Some(c) = mirror.lists.get(id_lower) {
        if c.fetched.elapsed() < mirror.upstreams[c.upstream].ttl() {
            return Ok(Some(c));
        }
    }
    let allowed = super::guard::allowed(state, id_lower).await?;
    if allowed.is_empty() {
        return Ok(None);
    }
    let cached = mirror.lists.get(id_lower).filter(|c| allowed.contains(&c.upstream));
    for i in allowed {
        let upstream = &mirror.upstreams[i];
        match upstream.versions(id_lower).await {
            Fetched::Found(versions) => {
                upstream.health.hits.fetch_add(1, Ordering::Relaxed);
                let list = VersionList { upstream: i, versions, fetched: Instant::now() };
                mirror.lists.insert(id_lower.to_owned(), list.clone());
                return Ok(Some(list));
            }
            Fetched::Missing => {
                upstream.health.misses.fetch_add(1, Ordering::Relaxed);
            }
            // The upstream that supplied this id is failing: its last list stands (a later
            // upstream must not take over an id because an earlier one is down).
            Fetched::Failed(error) => {
                if let Some(c) = cached.as_ref().filter(|c| c.upstream == i) {
                    upstream.health.stale.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(id = %id_lower, upstream = %upstream.name(), %error, "upstream failing; serving its last version list");
                    return Ok(Some(c.clone()));
                }
            }
        }
    }
    Ok(None)
}

/// The flat-container index of a mirrored or upstream id: the upstream's versions and those
/// fetched here (which stay restorable even if the upstream dropped them), in version order.
pub async fn flat_index(
    state: &AppState,
    id_lower: &str,
    fetched: &[&String],
) -> Result<Option<CachedDocument>, AppError> {
    let Some(list) = versions(state, id_lower).await? else {
        return Ok(None);
    };
    let mut all: Vec<String> = list.versions;
    all.extend(fetched.iter().map(|v| (*v).clone()));
    let mut parsed: Vec<(NuGetVersion, String)> =
        all.into_iter().filter_map(|v| NuGetVersion::parse(&v).ok().map(|p| (p, v))).collect();
    parsed.sort_by(|a, b| a.0.cmp(&b.0));
    parsed.dedup_by(|a, b| a.1 == b.1);
    let versions: Vec<String> = parsed.into_iter().map(|(_, v)| v).collect();
    let body = serde_json::to_vec(&serde_json::json!({ "versions": versions })).map_err(AppError::internal)?;
    Ok(Some(document(list.upstream, Bytes::from(body), list.fetched)))
}

fn document(upstream: usize, bytes: Bytes, fetched: Instant) -> CachedDocument {
    let digest = sha2::Sha256::digest(&bytes);
    CachedDocument { upstream, etag: format!("\"u{}\"", hex::encode(&digest[..12])), bytes, fetched }
}

/// A registration document (`rest` below the id: `index.json`, `page/…`, `{version}.json`) of an
/// upstream id, its URLs rewritten to this server's.
pub async fn registration(
    state: &AppState,
    hive: Hive,
    id_lower: &str,
    rest: &str,
) -> Result<Option<CachedDocument>, AppError> {
    let Some(list) = versions(state, id_lower).await? else {
        return Ok(None);
    };
    let mirror = &state.mirror;
    let upstream = &mirror.upstreams[list.upstream];
    let key = format!("{}/{id_lower}/{rest}", hive.path());
    let cached = mirror.documents.get(&key).filter(|d| d.upstream == list.upstream);
    if let Some(d) = &cached {
        if d.fetched.elapsed() < upstream.ttl() {
            return Ok(cached);
        }
    }
    match upstream.registration(hive.includes_semver2(), id_lower, rest).await {
        Fetched::Found((text, their_registration, their_flat)) => {
            let text = text
                .replace(&their_registration, &state.urls.registration_base(hive))
                .replace(&their_flat, &state.urls.flat_container());
            let doc = document(list.upstream, Bytes::from(text), Instant::now());
            mirror.documents.insert(key, doc.clone());
            Ok(Some(doc))
        }
        Fetched::Missing => Ok(None),
        Fetched::Failed(error) => {
            if cached.is_some() {
                upstream.health.stale.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(id = %id_lower, upstream = %upstream.name(), %error, "upstream failing; serving its last registration document");
            }
            Ok(cached)
        }
    }
}

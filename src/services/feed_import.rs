//! `galley import --from-feed`: every package and version of a remote v3 feed copied here through
//! the push path, with its listed state and publish date. The ids come from the feed's catalog
//! when its index has one, else from search; each id's versions from its registration. Versions
//! already here are skipped before any download, so a rerun after an interruption resumes.
use crate::config::UpstreamConfig;
use crate::db;
use crate::domain::id::PackageId;
use crate::domain::version::NuGetVersion;
use crate::error::AppError;
use crate::services::permissions::Principal;
use crate::services::{blocking, mirror, publish};
use crate::state::AppState;
use crate::upstream::{Fetched, Upstream};
use serde_json::Value;
use std::collections::BTreeSet;

/// Bounds on what a feed can make the import walk.
const MAX_PAGES: usize = 10_000;
const SEARCH_TAKE: usize = 100;

/// One version of the remote feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteVersion {
    pub id: String,
    pub version: String,
    pub listed: bool,
    pub published: Option<String>,
    /// Base64 SHA-512 when the registration's catalog entry states it …
    pub sha512: Option<String>,
    /// … else the catalog item that states it (nuget.org's registration pages link the item).
    pub catalog_item: Option<String>,
}

#[derive(Debug, Default)]
pub struct ImportSummary {
    pub copied: usize,
    pub skipped: usize,
    pub failed: Vec<String>,
}

/// What one version came to.
pub enum Copied {
    Copied,
    Skipped,
    Failed(String),
}

/// A client for the source feed (a long timeout: an import is not a restore).
pub fn source(url: &str, username: &str, password: &str) -> Result<Upstream, AppError> {
    let config = UpstreamConfig {
        name: "import".into(),
        url: url.into(),
        username: username.into(),
        password: password.into(),
        timeout_seconds: 120,
        ..UpstreamConfig::default()
    };
    crate::config::upstream::validate_all(std::slice::from_ref(&config))
        .map_err(|e| AppError::BadRequest(e.to_string().replace("[[upstream]] 'import': ", "--from-feed: ")))?;
    Upstream::new(config).map_err(AppError::internal)
}

fn fetched<T>(f: Fetched<T>, what: &str) -> Result<Option<T>, AppError> {
    match f {
        Fetched::Found(v) => Ok(Some(v)),
        Fetched::Missing => Ok(None),
        Fetched::Failed(e) => Err(AppError::BadRequest(format!("{what}: {e}"))),
    }
}

/// Every id of the feed (lowercase), from its catalog or its search.
pub async fn ids(feed: &Upstream) -> Result<BTreeSet<String>, AppError> {
    let mut ids = BTreeSet::new();
    if let Some(catalog) = feed.catalog().await.map_err(AppError::BadRequest)? {
        let index = fetched(feed.document(&catalog).await, "the catalog")?.unwrap_or_default();
        for page in index.get("items").and_then(Value::as_array).into_iter().flatten().take(MAX_PAGES) {
            let Some(url) = page.get("@id").and_then(Value::as_str) else { continue };
            let page = fetched(feed.document(url).await, "a catalog page")?.unwrap_or_default();
            for item in page.get("items").and_then(Value::as_array).into_iter().flatten() {
                if let Some(id) = item.get("nuget:id").and_then(Value::as_str) {
                    ids.insert(PackageId::key_of(id));
                }
            }
        }
        return Ok(ids);
    }
    for page in 0..MAX_PAGES {
        let results = fetched(feed.search_page(page * SEARCH_TAKE, SEARCH_TAKE).await, "search")?.unwrap_or_default();
        let data = results.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
        let before = ids.len();
        ids.extend(data.iter().filter_map(|r| r.get("id")?.as_str()).map(PackageId::key_of));
        if data.len() < SEARCH_TAKE || ids.len() == before {
            break;
        }
    }
    Ok(ids)
}

/// Every version of an id with its listed state, from the id's registration (SemVer 2.0 hive).
pub async fn versions(feed: &Upstream, id_lower: &str) -> Result<Vec<RemoteVersion>, AppError> {
    let Some((text, _, _)) = fetched(feed.registration(true, id_lower, "index.json").await, id_lower)? else {
        return Ok(Vec::new());
    };
    let index: Value = serde_json::from_str(&text).map_err(|e| AppError::BadRequest(format!("{id_lower}: {e}")))?;
    let mut out = Vec::new();
    for page in index.get("items").and_then(Value::as_array).into_iter().flatten().take(MAX_PAGES) {
        let items = if let Some(items) = page.get("items").and_then(Value::as_array) {
            items.clone()
        } else {
            let url = page.get("@id").and_then(Value::as_str).unwrap_or_default();
            let doc = fetched(feed.document(url).await, id_lower)?.unwrap_or_default();
            doc.get("items").and_then(Value::as_array).cloned().unwrap_or_default()
        };
        for entry in items.iter().filter_map(|leaf| leaf.get("catalogEntry")) {
            let Some(version) = entry.get("version").and_then(Value::as_str).and_then(|v| NuGetVersion::parse(v).ok())
            else {
                continue;
            };
            out.push(RemoteVersion {
                id: entry.get("id").and_then(Value::as_str).unwrap_or(id_lower).to_owned(),
                version: version.lower_normalized(),
                listed: entry.get("listed").and_then(Value::as_bool).unwrap_or(true),
                published: entry
                    .get("published")
                    .and_then(Value::as_str)
                    .and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok())
                    .filter(|p| p.timestamp() > 0)
                    .map(|p| p.to_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
                sha512: mirror::fetch::hash_of(Some(entry)),
                catalog_item: mirror::fetch::catalog_item_url(Some(entry)),
            });
        }
    }
    Ok(out)
}

/// Copies one version unless it is here already (any state: a deleted version is not re-created).
pub async fn copy(
    state: &AppState,
    feed: &Upstream,
    principal: &Principal,
    v: &RemoteVersion,
) -> Result<Copied, AppError> {
    let id_lower = PackageId::key_of(v.id.as_str());
    let (check_state, check_id, check_version) = (state.clone(), id_lower.clone(), v.version.clone());
    let present =
        blocking(move || Ok(db::packages::version_status(&check_state.conn()?, &check_id, &check_version)?)).await?;
    if !crate::domain::version_status::VersionStatus::may_be_replaced(present) {
        return Ok(Copied::Skipped);
    }
    let tmp = tempfile::Builder::new().prefix("import-").tempfile_in(state.config.tmp_dir())?.into_temp_path();
    match feed.download(&id_lower, &v.version, &tmp, state.config.max_package_bytes()).await {
        Fetched::Found(_) => {}
        Fetched::Missing => return Ok(Copied::Failed(format!("{} {}: the feed has no file for it", v.id, v.version))),
        Fetched::Failed(e) => return Ok(Copied::Failed(format!("{} {}: {e}", v.id, v.version))),
    }
    let expected = match (&v.sha512, &v.catalog_item) {
        (Some(hash), _) => Some(hash.clone()),
        (None, Some(item)) => match mirror::fetch::linked_hash(feed, item).await {
            Ok(hash) => hash,
            Err(e) => return Ok(Copied::Failed(format!("{} {}: its hash could not be read: {e}", v.id, v.version))),
        },
        (None, None) => None,
    };
    let (state, principal, v) = (state.clone(), principal.clone(), v.clone());
    blocking(move || {
        if let Some(expected) = &expected {
            if &crate::domain::nupkg::sha512_base64(std::fs::File::open(&tmp)?)? != expected {
                return Ok(Copied::Failed(format!("{} {}: SHA-512 differs from the feed's", v.id, v.version)));
            }
        }
        match publish::publish_file(&state, &principal, &tmp, None) {
            Ok(_) => {}
            Err(AppError::Conflict(_)) => return Ok(Copied::Skipped),
            Err(e) => return Ok(Copied::Failed(format!("{} {}: {e}", v.id, v.version))),
        }
        let conn = state.conn()?;
        db::upstreams::set_imported_state(&conn, &id_lower, &v.version, v.listed, v.published.as_deref())?;
        state.docs.refresh(&conn, &id_lower)?;
        Ok(Copied::Copied)
    })
    .await
}

//! A package file of an upstream id, fetched on its first download: checked like an upload
//! (structure, the id and version asked for), verified against the SHA-512 the upstream
//! publishes, scanned before anything serves it (an infected one is refused and recorded), then
//! published through the push path, so it is stored, rendered and served like a local package.
use crate::db::{self, audit::AuditEntry};
use crate::error::AppError;
use crate::scan::ScanOutcome;
use crate::services::blocking;
use crate::services::publish::{self, Origin};
use crate::state::AppState;
use crate::upstream::{Fetched, Upstream};
use std::path::Path;
use std::sync::atomic::Ordering;

/// What a fetch came to; anything but `Stored` is a 404 for the client (never a 5xx).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    /// Stored (now or before) and served from here on like a local package.
    Stored,
    /// No allowed upstream has this id+version, or none answers.
    Unavailable,
    /// The bytes failed a check (structure, id or version, hash) or the scan: not stored.
    Refused(String),
}

/// Fetches and stores id+version from its upstream, unless the guard keeps it local.
pub async fn fetch_package(state: &AppState, id_lower: &str, version_lower: &str) -> Result<FetchOutcome, AppError> {
    let mirror = &state.mirror;
    if !mirror.enabled() {
        return Ok(FetchOutcome::Unavailable);
    }
    if mirror.is_refused(id_lower, version_lower) {
        return Ok(FetchOutcome::Refused("refused earlier".into()));
    }
    let Some(list) = super::metadata::versions(state, id_lower).await? else {
        return Ok(FetchOutcome::Unavailable);
    };
    // Asked again here: the list may be older than a prefix reservation or a local push.
    if !super::guard::allowed(state, id_lower).await?.contains(&list.upstream) {
        return Ok(FetchOutcome::Unavailable);
    }
    if !list.versions.iter().any(|v| v == version_lower) {
        return Ok(FetchOutcome::Unavailable);
    }
    let _one_at_a_time = mirror.fetch_lock(id_lower).lock().await;
    if state.docs.lookup(id_lower).is_some_and(|set| set.versions.contains(version_lower)) {
        return Ok(FetchOutcome::Stored);
    }
    let upstream = &mirror.upstreams[list.upstream];
    let tmp = tempfile::Builder::new().prefix("upstream-").tempfile_in(state.config.tmp_dir())?.into_temp_path();
    match upstream.download(id_lower, version_lower, &tmp, state.config.max_package_bytes()).await {
        Fetched::Found(_) => {}
        Fetched::Missing => {
            upstream.health.misses.fetch_add(1, Ordering::Relaxed);
            return Ok(FetchOutcome::Unavailable);
        }
        Fetched::Failed(_) => return Ok(FetchOutcome::Unavailable),
    }
    let mut facts = leaf_facts(upstream, id_lower, version_lower).await;
    if facts.sha512.is_none() {
        // Feeds without a catalog (another Galley) state the hash in their registration pages.
        facts.sha512 = super::v2::entries(state, id_lower, true)
            .await?
            .into_iter()
            .flatten()
            .find(|e| e.version.version_lower == version_lower)
            .map(|e| e.version.hash_sha512)
            .filter(|h| !h.is_empty());
    }
    let origin = Origin { upstream: upstream.name().to_owned(), listed: facts.listed, published: facts.published };
    let (state, id, version) = (state.clone(), id_lower.to_owned(), version_lower.to_owned());
    let outcome = blocking(move || {
        let outcome = check_and_store(&state, &tmp, &id, &version, facts.sha512.as_deref(), &origin);
        drop(tmp);
        outcome
    })
    .await?;
    Ok(outcome)
}

/// What the upstream's registration leaf says of a version.
struct LeafFacts {
    listed: bool,
    published: Option<String>,
    /// Base64 SHA-512, when the leaf's catalog entry (inlined or linked) states `packageHash`.
    sha512: Option<String>,
}

async fn leaf_facts(upstream: &Upstream, id_lower: &str, version_lower: &str) -> LeafFacts {
    let mut facts = LeafFacts { listed: true, published: None, sha512: None };
    let Fetched::Found((text, _, _)) = upstream.registration(true, id_lower, &format!("{version_lower}.json")).await
    else {
        return facts;
    };
    let Ok(leaf) = serde_json::from_str::<serde_json::Value>(&text) else {
        return facts;
    };
    let entry = leaf.get("catalogEntry").filter(|e| e.is_object());
    let field = |name: &str| leaf.get(name).or_else(|| entry.and_then(|e| e.get(name)));
    facts.listed = field("listed").and_then(serde_json::Value::as_bool).unwrap_or(true);
    // nuget.org dates unlisted versions 1900-01-01: no real date, keep the fetch time.
    facts.published = field("published")
        .and_then(|p| p.as_str())
        .and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok())
        .filter(|p| p.timestamp() > 0)
        .map(|p| p.to_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    facts.sha512 = match hash_of(entry) {
        Some(hash) => Some(hash),
        // nuget.org's leaf links its catalog item (a URL, or an object without the hash whose
        // `@id` is the item), which carries the hash.
        None => match catalog_item_url(leaf.get("catalogEntry")) {
            Some(url) => linked_hash(upstream, &url).await.ok().flatten(),
            None => None,
        },
    };
    facts
}

/// The hash a linked catalog item states: one more request, on the upstream's origin only.
/// `Err` when the item cannot be read (the caller decides whether a hash it was promised but
/// could not read refuses the file); `Ok(None)` when the item states no SHA-512.
pub async fn linked_hash(upstream: &Upstream, item_url: &str) -> Result<Option<String>, String> {
    match upstream.document(item_url).await {
        Fetched::Found(item) => Ok(hash_of(Some(&item))),
        Fetched::Missing => Err(format!("{item_url} is missing")),
        Fetched::Failed(e) => Err(e),
    }
}

/// The base64 SHA-512 a catalog entry states (`packageHash` with `packageHashAlgorithm` SHA512,
/// the default); `None` when it states none or another algorithm.
pub fn hash_of(entry: Option<&serde_json::Value>) -> Option<String> {
    let entry = entry?;
    let algorithm = entry.get("packageHashAlgorithm").and_then(|a| a.as_str()).unwrap_or("SHA512");
    if !algorithm.eq_ignore_ascii_case("sha512") {
        return None;
    }
    entry.get("packageHash").and_then(|h| h.as_str()).map(str::to_owned)
}

/// The URL of the catalog item a leaf's `catalogEntry` points to: the string itself, or the
/// `@id` of an object (not a fragment of the leaf itself, which has no more to say).
pub fn catalog_item_url(catalog_entry: Option<&serde_json::Value>) -> Option<String> {
    let url = match catalog_entry? {
        serde_json::Value::String(url) => url,
        entry => entry.get("@id")?.as_str()?,
    };
    (!url.contains('#')).then(|| url.to_owned())
}

/// Blocking: the checks of an upload, the hash, the scan, then the push path.
fn check_and_store(
    state: &AppState,
    path: &Path,
    id_lower: &str,
    version_lower: &str,
    expected_sha512: Option<&str>,
    origin: &Origin,
) -> Result<FetchOutcome, AppError> {
    let refuse = |why: String| {
        tracing::warn!(id = %id_lower, version = %version_lower, upstream = %origin.upstream, reason = %why, "upstream package refused");
        Ok(FetchOutcome::Refused(why))
    };
    let (archive, hash, size) = match super::super::package_file::inspect(state, path) {
        Ok(inspected) => inspected,
        Err(e) => return refuse(e.to_string()),
    };
    if archive.nuspec.id.lower() != id_lower || archive.nuspec.version.lower_normalized() != version_lower {
        return refuse(format!("the file is {} {}", archive.nuspec.id.as_str(), archive.nuspec.version.normalized()));
    }
    if expected_sha512.is_some_and(|expected| expected != hash) {
        return refuse("its SHA-512 differs from the one the upstream publishes".into());
    }
    match state.scanner.scan(path) {
        ScanOutcome::Clean => {}
        ScanOutcome::Infected { signature } => {
            record_infected(state, path, &archive, origin, &signature)?;
            return Ok(FetchOutcome::Refused(format!("virus found: {signature}")));
        }
        ScanOutcome::Error(message) => {
            // Not served unscanned; the next download tries again.
            tracing::warn!(id = %id_lower, version = %version_lower, error = %message, "scanner unavailable; upstream package not fetched");
            return Ok(FetchOutcome::Unavailable);
        }
    }
    publish::publish_mirrored(state, path, &archive, &hash, size, origin)?;
    tracing::info!(id = %archive.nuspec.id.as_str(), version = %archive.nuspec.version.normalized(), upstream = %origin.upstream, "upstream package fetched");
    Ok(FetchOutcome::Stored)
}

/// An infected upstream package: in the audit log (administrators see it), kept in quarantine
/// when `[scan] keep_infected` says so, and never fetched again by this process.
fn record_infected(
    state: &AppState,
    path: &Path,
    archive: &crate::domain::nupkg::PackageArchive,
    origin: &Origin,
    signature: &str,
) -> Result<(), AppError> {
    let (id, version) = (archive.nuspec.id.as_str(), archive.nuspec.version.normalized());
    let (id_lower, version_lower) = (archive.nuspec.id.lower(), archive.nuspec.version.lower_normalized());
    db::audit::record(
        &state.conn()?,
        &AuditEntry {
            actor_name: Some("scanner"),
            action: "upstream.refused",
            package_id: Some(id),
            version: Some(&version),
            detail: Some(&format!("from upstream '{}': virus found ({signature})", origin.upstream)),
            ..AuditEntry::default()
        },
    )?;
    crate::services::validation::keep_or_drop_infected(state, &id_lower, &version_lower, path)?;
    state.mirror.refuse(&id_lower, &version_lower);
    tracing::warn!(id, version = %version, upstream = %origin.upstream, signature, "upstream package refused: virus found");
    Ok(())
}

//! Serving rendered documents and package files: strong `ETags`, 304s, ranges, no SQL.
//!
//! Bytes that came from a package are untrusted: [`PackageContent`] decides, in one place, the
//! headers of every response that carries them, so a browser never renders them as active
//! content on the portal's origin (a nuspec with an XHTML `<script>`, an SVG "icon", HTML in a
//! README).
use crate::cache::feed_docs::{CachedFile, DocSet, FeedDocs};
use crate::error::AppError;
use crate::http::sliced_body::SlicedBody;
use crate::services::mirror::fetch::FetchOutcome;
use crate::services::mirror::CachedDocument;
use crate::state::AppState;
use actix_files::NamedFile;
use actix_web::http::header::{self, ContentType, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use std::path::Path;
use std::sync::Arc;

/// Rendered documents change only when their id changes; clients revalidate with the `ETag`.
pub const DOCUMENT_CACHE: &str = "public, no-cache";
/// A published .nupkg never changes.
pub const PACKAGE_CACHE: &str = "public, max-age=31536000, immutable";

/// What kind of package bytes a response carries; each kind has one safe set of headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageContent {
    /// A `.nupkg` (or future symbol file): always a download.
    Package,
    /// The nuspec, a README or a license file: shown as plain text, never parsed as markup.
    Text,
    /// An icon, typed by its sniffed raster format (never SVG); anything else is a download.
    Icon(IconFormat),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IconFormat {
    Png,
    Jpeg,
    Gif,
    Webp,
    Unknown,
}

impl IconFormat {
    /// Icons are PNG or JPEG by nuget.org's rules (GIF and WebP also display); the bytes decide,
    /// never the file name or what the package claims.
    pub fn sniff(head: &[u8]) -> Self {
        if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Self::Png
        } else if head.starts_with(b"\xFF\xD8\xFF") {
            Self::Jpeg
        } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
            Self::Gif
        } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
            Self::Webp
        } else {
            Self::Unknown
        }
    }
}

/// Sandboxed, nothing may load: even if a browser decided to render the bytes, no script runs and
/// the document gets a unique opaque origin (no cookies, no same-origin requests).
pub const PACKAGE_CONTENT_POLICY: &str = "sandbox; default-src 'none'; frame-ancestors 'none'";

impl PackageContent {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Package | Self::Icon(IconFormat::Unknown) => "application/octet-stream",
            Self::Text => "text/plain; charset=utf-8",
            Self::Icon(IconFormat::Png) => "image/png",
            Self::Icon(IconFormat::Jpeg) => "image/jpeg",
            Self::Icon(IconFormat::Gif) => "image/gif",
            Self::Icon(IconFormat::Webp) => "image/webp",
        }
    }

    /// Sets the type and the protective headers on any response carrying these bytes (200, 206,
    /// 304 and 416 alike, so a cached answer cannot lose them).
    pub fn apply(self, headers: &mut actix_web::http::header::HeaderMap) {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type()));
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PACKAGE_CONTENT_POLICY));
        if matches!(self, Self::Package | Self::Icon(IconFormat::Unknown)) {
            headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
        }
    }
}

pub fn not_found() -> AppError {
    AppError::NotFound("The requested resource does not exist.".into())
}

/// Answers with a rendered JSON document of `set`, or 304 when the client has this generation.
pub async fn serve_document(
    req: &HttpRequest,
    docs: &FeedDocs,
    id_lower: &str,
    set: &DocSet,
    path: &Path,
    gzipped: bool,
) -> Result<HttpResponse, AppError> {
    let etag = set.etag();
    if if_none_match(req, &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, DOCUMENT_CACHE))
            .finish());
    }
    let (etag, bytes) = match docs.read(path).await {
        Ok(bytes) => (etag, bytes),
        // The id changed between the lookup and this read and its old generation is gone:
        // answer from the new one (or 404 when the document is not part of it).
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let fresh = docs.lookup(id_lower).filter(|f| f.generation != set.generation).ok_or_else(not_found)?;
            let inside = path.strip_prefix(&set.dir).map_err(|_| not_found())?;
            match docs.read(&fresh.dir.join(inside)).await {
                Ok(bytes) => (fresh.etag(), bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_found()),
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => return Err(e.into()),
    };
    let mut response = HttpResponse::Ok();
    response
        .content_type(ContentType::json())
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, DOCUMENT_CACHE));
    if gzipped {
        // Stored compressed; sent as is, as nuget.org does for these hives. `Identity` keeps
        // actix's compressor from touching it.
        response.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")));
    }
    Ok(response.body(bytes))
}

fn if_none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// Files up to this size are read on the worker thread, in 64 KB chunks, as nginx reads without
/// aio: a read from the page cache costs a few microseconds, handing each chunk to the blocking
/// pool and back costs more (a 2 MB package is 32 chunks). Larger files keep the blocking pool, so
/// a cold read of a big file cannot hold up the other requests of a worker for long.
const READ_ON_WORKER_BYTES: u64 = 16 * 1024 * 1024;

/// Streams a stored package file with range support and a long-lived cache header.
pub fn serve_file(
    req: &HttpRequest,
    path: &Path,
    content: PackageContent,
    cache: &'static str,
) -> Result<HttpResponse, AppError> {
    let file = match NamedFile::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    let mut response = file
        .disable_content_disposition()
        .use_last_modified(true)
        .use_etag(true)
        .read_mode_threshold(READ_ON_WORKER_BYTES)
        .into_response(req);
    content.apply(response.headers_mut());
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}

/// Answers with an immutable file held in memory: strong ETag and 304, one byte range, HEAD.
fn serve_bytes(req: &HttpRequest, file: CachedFile, content: PackageContent, cache: &'static str) -> HttpResponse {
    let mut response = serve_cached(req, file, cache);
    content.apply(response.headers_mut());
    response
}

/// Takes the file by value: its `ETag` moves into the header instead of being copied.
fn serve_cached(req: &HttpRequest, file: CachedFile, cache: &'static str) -> HttpResponse {
    if if_none_match(req, &file.etag) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, file.etag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish();
    }
    let len = file.bytes.len() as u64;
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::ETAG, file.etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ACCEPT_RANGES, "bytes"));
    let Some(range) = req.headers().get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return response.body(SlicedBody::new(file.bytes));
    };
    match actix_files::HttpRange::parse(range, len) {
        // One range, as NamedFile serves; clients ask for one.
        Ok(ranges) if !ranges.is_empty() => {
            let r = ranges[0];
            let (start, end) = (r.start, r.start + r.length);
            let slice = usize::try_from(start).unwrap_or(0)..usize::try_from(end).unwrap_or(0);
            response
                .status(actix_web::http::StatusCode::PARTIAL_CONTENT)
                .insert_header((header::CONTENT_RANGE, format!("bytes {start}-{}/{len}", end - 1)))
                .body(SlicedBody::new(file.bytes.slice(slice)))
        }
        _ => HttpResponse::RangeNotSatisfiable()
            .insert_header((header::CONTENT_RANGE, format!("bytes */{len}")))
            .finish(),
    }
}

/// The documents of an id that hold this version. A local id answers from memory as before; a
/// mirrored or unknown id not holding it reads the version through from its upstream first
/// (`services::mirror::fetch`): any failure there is a 404, never a 5xx.
pub async fn available_set(state: &AppState, id_lower: &str, version_lower: &str) -> Result<Arc<DocSet>, AppError> {
    let set = state.docs.lookup_async(id_lower).await;
    if let Some(set) = set.as_ref().filter(|s| s.versions.contains(version_lower)) {
        return Ok(set.clone());
    }
    if set.is_some_and(|s| s.upstream.is_none()) || !state.mirror.enabled() {
        return Err(not_found());
    }
    match crate::services::mirror::fetch::fetch_package(state, id_lower, version_lower).await {
        Ok(FetchOutcome::Stored) => {}
        Ok(_) => return Err(not_found()),
        Err(e) => {
            tracing::warn!(id = %id_lower, version = %version_lower, error = %e, "reading a package through from an upstream failed");
            return Err(not_found());
        }
    }
    state.docs.lookup(id_lower).filter(|s| s.versions.contains(version_lower)).ok_or_else(not_found)
}

/// Answers with a document read from an upstream (its own strong ETag), or 304.
pub fn serve_upstream_document(req: &HttpRequest, doc: &CachedDocument) -> HttpResponse {
    if if_none_match(req, &doc.etag) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, doc.etag.clone()))
            .insert_header((header::CACHE_CONTROL, DOCUMENT_CACHE))
            .finish();
    }
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .insert_header((header::ETAG, doc.etag.clone()))
        .insert_header((header::CACHE_CONTROL, DOCUMENT_CACHE))
        .body(doc.bytes.clone())
}

/// The local path of a stored file; with an object store, a file missing from this node's cache
/// is fetched (and checked) first, off the executor. A cache hit costs one `stat`, no SQL.
pub async fn local_path(state: &AppState, path: std::path::PathBuf) -> Result<std::path::PathBuf, AppError> {
    if !state.store.is_remote() || tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Ok(path);
    }
    let store = state.store.clone();
    Ok(actix_web::web::block(move || crate::store::local(&*store, path)).await.map_err(AppError::internal)??)
}

/// Serves the `.nupkg` of an available id+version and counts the download (in memory).
pub async fn serve_package(
    req: &HttpRequest,
    state: &AppState,
    id_lower: &str,
    version_lower: &str,
) -> Result<HttpResponse, AppError> {
    available_set(state, id_lower, version_lower).await?;
    let path = state.store.nupkg_path(id_lower, version_lower);
    // The in-memory copy first: a hit there needs neither the disk nor the object store.
    let cached = match state.docs.cached_file(&path) {
        Some(file) => Some(file),
        None => match tokio::fs::metadata(local_path(state, path.clone()).await?).await {
            // Held in memory once served, up to an eighth of `[cache] packages_mb`: answering
            // from memory skips the open, the reads and their copy of each request.
            Ok(meta) if state.docs.holds_file(meta.len()) => Some(state.docs.read_file(&path).await?),
            Ok(_) => None,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_found()),
            Err(e) => return Err(e.into()),
        },
    };
    let response = match cached {
        Some(file) => serve_bytes(req, file, PackageContent::Package, PACKAGE_CACHE),
        None => serve_file(req, &path, PackageContent::Package, PACKAGE_CACHE)?,
    };
    if req.method() == actix_web::http::Method::GET && response.status().is_success() {
        state.downloads.record(id_lower, version_lower);
    }
    Ok(response)
}

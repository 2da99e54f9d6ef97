//! Upload intake: how a request body becomes a spooled `.nupkg`, for the API push and the portal
//! upload alike. The body is read under the upload limits (`body`), multipart framing is read
//! liberally (`multipart`), and the bytes land in one kind of temp file (`spool`).
mod body;
mod multipart;
mod spool;

pub use multipart::{Multipart, Part};

use crate::error::AppError;
use crate::services::package_file;
use crate::state::AppState;
use actix_web::{web, HttpMessage, HttpRequest};
use body::{Body, Limits};
use spool::Spool;
use std::time::Duration;
use tempfile::NamedTempFile;

/// Room for multipart framing (boundaries, part headers, a CSRF field) on top of the package.
const FRAMING_ALLOWANCE: u64 = 64 * 1024;

/// Non-multipart bodies taken as the package itself.
const RAW_TYPES: [&str; 5] = [
    "application/octet-stream",
    "application/zip",
    "application/x-zip-compressed",
    "application/x-nupkg",
    "binary/octet-stream",
];

pub type Form = Multipart<web::Payload>;

fn body(state: &AppState, payload: web::Payload) -> Body<web::Payload> {
    let p = &state.config.publish;
    let limits = Limits {
        idle: Duration::from_secs(p.upload_idle_timeout_seconds),
        total: Duration::from_secs(p.upload_total_timeout_seconds),
        max_bytes: state.config.max_package_bytes() + FRAMING_ALLOWANCE,
    };
    Body::new(payload, limits, package_file::too_large(state).to_string())
}

async fn spool(state: &AppState) -> Result<Spool, AppError> {
    Spool::create(state.config.tmp_dir(), state.config.max_package_bytes(), package_file::too_large(state).to_string())
        .await
}

/// The request's media type, refusing a malformed Content-Type.
fn media_type(req: &HttpRequest) -> Result<Option<mime::Mime>, AppError> {
    req.mime_type().map_err(|_| {
        let raw = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        AppError::BadRequest(format!("The Content-Type '{}' is not a media type.", raw.unwrap_or_default()))
    })
}

/// The multipart form of a request that must be `multipart/form-data` (the portal's upload form).
pub fn form(req: &HttpRequest, payload: web::Payload, state: &AppState) -> Result<Form, AppError> {
    match media_type(req)? {
        Some(m) if m.type_() == mime::MULTIPART => multipart(&m, payload, state),
        other => Err(wrong_type(other.as_ref(), "multipart/form-data")),
    }
}

fn multipart(m: &mime::Mime, payload: web::Payload, state: &AppState) -> Result<Form, AppError> {
    let boundary = m.get_param(mime::BOUNDARY).map(|b| b.as_str()).filter(|b| !b.is_empty() && b.len() <= 200);
    let Some(boundary) = boundary else {
        return Err(AppError::BadRequest(format!(
            "The Content-Type '{}' has no boundary parameter (1 to 200 characters), so its parts cannot be found.",
            m.essence_str()
        )));
    };
    Ok(Multipart::new(body(state, payload), boundary))
}

fn wrong_type(got: Option<&mime::Mime>, want: &str) -> AppError {
    let got = got.map_or_else(|| "none".to_owned(), |m| format!("'{}'", m.essence_str()));
    AppError::BadRequest(format!("The upload has Content-Type {got}; send the .nupkg as {want}."))
}

/// Writes the current part of `form` into a temp file; `None` when the part is empty (a browser
/// sends an empty part for a file input left blank).
pub async fn spool_part(form: &mut Form, state: &AppState) -> Result<Option<NamedTempFile>, AppError> {
    let mut out = spool(state).await?;
    while let Some(chunk) = form.next_chunk().await? {
        out.write(&chunk).await?;
    }
    if out.written() == 0 {
        return Ok(None);
    }
    out.finish().await.map(Some)
}

/// The API push's body (NuGet clients): multipart with the package in its first file part (a part
/// with a file name, or named `package`), or the package itself as the whole body.
pub async fn push_body(req: &HttpRequest, payload: web::Payload, state: &AppState) -> Result<NamedTempFile, AppError> {
    match media_type(req)? {
        Some(m) if m.type_() == mime::MULTIPART => {
            let mut form = multipart(&m, payload, state)?;
            while let Some(part) = form.next_part().await? {
                if part.filename.is_some() || part.name.as_deref() == Some("package") {
                    return spool_part(&mut form, state).await?.ok_or_else(|| {
                        AppError::BadRequest(format!(
                            "The upload contains no package: its file part {} is empty.",
                            part.label()
                        ))
                    });
                }
            }
            Err(AppError::BadRequest(
                "The upload contains no package: its multipart body has no file part (a part with a filename, or named 'package').".into(),
            ))
        }
        Some(m) if !RAW_TYPES.contains(&m.essence_str()) => {
            Err(wrong_type(Some(&m), "multipart/form-data (as NuGet clients do) or application/octet-stream"))
        }
        _ => {
            let mut body = body(state, payload);
            let mut out = spool(state).await?;
            while let Some(chunk) = body.next_chunk().await? {
                out.write(&chunk).await?;
            }
            if out.written() == 0 {
                return Err(AppError::BadRequest("The upload is empty: the request has no body.".into()));
            }
            out.finish().await
        }
    }
}

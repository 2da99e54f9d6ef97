//! Browser uploads between "choose a file" and "Submit": the file waits under
//! `data_dir/tmp/portal-uploads/{session}/{token}.nupkg`, so only the session that uploaded it can
//! publish or cancel it, and signing out (a new session) strands nothing that a later cleanup of
//! `tmp/` would not remove. The checks are the push's own (`package_file::inspect`, `authorize`).
use super::package_file;
use super::permissions::{authorize, PackageAction, Principal};
use crate::db::packages;
use crate::domain::token;
use crate::domain::version_status::VersionStatus;
use crate::error::AppError;
use crate::state::AppState;
use std::path::{Path, PathBuf};

/// What the "verify details" page shows before anything is published.
pub struct Preview {
    pub id: String,
    pub version: String,
    pub authors: String,
    pub description: String,
    /// "framework: Dep.A [1.0.0, ), Dep.B …" per dependency group.
    pub dependencies: Vec<String>,
    /// Reasons the submit will be refused, in the words the push would use.
    pub warnings: Vec<String>,
}

fn session_dir(state: &AppState, session_id: i64) -> PathBuf {
    state.config.tmp_dir().join("portal-uploads").join(session_id.to_string())
}

/// Moves a received upload into the session's holding place; returns its token.
pub fn hold(state: &AppState, session_id: i64, received: tempfile::NamedTempFile) -> Result<String, AppError> {
    let dir = session_dir(state, session_id);
    std::fs::create_dir_all(&dir)?;
    let t = token::generate();
    received.persist(dir.join(format!("{t}.nupkg"))).map_err(|e| AppError::internal(e.error))?;
    Ok(t)
}

/// The held file for `upload_token`, if this session holds one by that token.
pub fn held(state: &AppState, session_id: i64, upload_token: &str) -> Result<PathBuf, AppError> {
    // Tokens are base64url: anything else could walk out of the directory.
    let well_formed = !upload_token.is_empty()
        && upload_token.len() <= 64
        && upload_token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let path = session_dir(state, session_id).join(format!("{upload_token}.nupkg"));
    if well_formed && path.is_file() {
        Ok(path)
    } else {
        Err(AppError::NotFound("This upload is no longer available; upload the package again.".into()))
    }
}

/// Discards a held upload (Cancel, or after publishing).
pub fn discard(path: &Path) -> Result<(), AppError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// Reads the held package and says what a push of it would meet. An unreadable package is an
/// error (the upload page shows it); an id owned by others or an existing version are warnings.
pub fn preview(state: &AppState, principal: &Principal, path: &Path) -> Result<Preview, AppError> {
    let (archive, _, _) = package_file::inspect(state, path)?;
    let n = &archive.nuspec;
    let id = n.id.as_str().to_owned();
    let version = n.version.normalized();
    let conn = state.conn()?;
    let mut warnings = Vec::new();
    let existing = packages::find(&conn, &n.id.lower())?;
    let owners = existing.as_ref().map(|p| packages::owner_ids(&conn, p.key)).transpose()?;
    if let Err(e) = authorize(principal, PackageAction::Push, &id, owners.as_deref()) {
        warnings.push(format!("The id '{id}' is owned by someone else: {}", e.client_message()));
    }
    let status = packages::version_status(&conn, &n.id.lower(), &n.version.lower_normalized())?;
    if status == Some(VersionStatus::Deleted) {
        warnings.push(format!("Version {version} of '{id}' was deleted and its number cannot be reused."));
    } else if !VersionStatus::may_be_replaced(status) {
        warnings.push(format!("Version {version} of '{id}' already exists and cannot be modified."));
    }
    let dependencies = n
        .dependency_groups
        .iter()
        .map(|g| {
            let deps: Vec<String> = g.dependencies.iter().map(|d| format!("{} {}", d.id, d.range)).collect();
            let list = if deps.is_empty() { "no dependencies".to_owned() } else { deps.join(", ") };
            format!("{}: {list}", g.target_framework.as_deref().unwrap_or("any framework"))
        })
        .collect();
    Ok(Preview { id, version, authors: n.authors.clone(), description: n.description.clone(), dependencies, warnings })
}

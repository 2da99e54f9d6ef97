//! Publishing a package: parse → authorize → store (create-new) → insert + index in one
//! transaction → render the id's feed documents. Used by v2/v3 push, the portal upload and import.
use super::permissions::{authorize, PackageAction, Principal};
use crate::db::{self, packages};
use crate::domain::nupkg::{self, NupkgLimits, PackageArchive};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::PutOutcome;
use std::fs::File;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub id: String,
    pub version: String,
}

pub fn limits(state: &AppState) -> NupkgLimits {
    NupkgLimits {
        max_entries: state.config.publish.max_entries,
        max_uncompressed_bytes: state.config.publish.max_expanded_mb * 1024 * 1024,
        ..NupkgLimits::default()
    }
}

/// Reads and validates a package file; the error is a sentence for the client.
pub fn inspect(state: &AppState, path: &Path) -> Result<(PackageArchive, String, u64), AppError> {
    let size = std::fs::metadata(path)?.len();
    if size > state.config.max_package_bytes() {
        return Err(too_large(state));
    }
    let archive =
        nupkg::read_package(File::open(path)?, &limits(state)).map_err(|e| AppError::BadRequest(invalid(&e)))?;
    let hash = nupkg::sha512_base64(File::open(path)?)?;
    Ok((archive, hash, size))
}

pub fn too_large(state: &AppState) -> AppError {
    AppError::TooLarge(format!(
        "The package is larger than the server's limit of {} MB.",
        state.config.publish.max_package_mb
    ))
}

fn invalid(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    let mut chars = text.chars();
    let sentence = chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default();
    format!("The package is invalid: {sentence}.")
}

fn already_exists(id: &str, version: &str) -> AppError {
    AppError::Conflict(format!(
        "A package with id '{id}' and version '{version}' already exists and cannot be modified."
    ))
}

fn deleted(id: &str, version: &str) -> AppError {
    AppError::Conflict(format!(
        "The package '{id}' version '{version}' was deleted and its version number cannot be reused; push a new version."
    ))
}

/// Publishes the package file at `path` (a finished upload). Blocking: call from a blocking thread.
pub fn publish_file(
    state: &AppState,
    principal: &Principal,
    path: &Path,
    ip: Option<&str>,
) -> Result<Published, AppError> {
    let (archive, hash, size) = inspect(state, path)?;
    let nuspec = &archive.nuspec;
    let id = nuspec.id.as_str().to_owned();
    let id_lower = nuspec.id.lower();
    let version_lower = nuspec.version.lower_normalized();
    let version = nuspec.version.normalized();

    let mut conn = state.conn()?;
    // Cheap checks before any file is written; repeated inside the transaction, which decides.
    let existing = packages::find(&conn, &id_lower)?;
    let owners = existing.as_ref().map(|p| packages::owner_ids(&conn, p.key)).transpose()?;
    authorize(principal, PackageAction::Push, &id, owners.as_deref())?;
    match packages::version_status(&conn, &id_lower, &version_lower)?.as_deref() {
        Some("deleted") => return Err(deleted(&id, &version)),
        Some(_) => return Err(already_exists(&id, &version)),
        None => {}
    }

    let created = match state.store.put(&id_lower, &version_lower, path, &archive.nuspec_bytes)? {
        PutOutcome::DifferentBytesExist => return Err(already_exists(&id, &version)),
        PutOutcome::SameBytesExisted => false,
        PutOutcome::Created => true,
    };
    let committed = store_extras(state, &archive, &id_lower, &version_lower).and_then(|()| {
        db::write(&mut conn, |tx| {
            let existing = packages::find(tx, &id_lower)?;
            let owners = existing.as_ref().map(|p| packages::owner_ids(tx, p.key)).transpose()?;
            if let Err(denied) = authorize(principal, PackageAction::Push, &id, owners.as_deref()) {
                return Ok(Err(denied));
            }
            let (package_key, _) = packages::find_or_create(tx, &id, principal.account_id)?;
            let inserted = packages::insert_version(
                tx,
                &packages::NewVersion {
                    package_key,
                    nuspec,
                    hash_sha512: &hash,
                    size,
                    status: "available",
                    pushed_by: principal.account_id,
                },
            );
            match inserted {
                Err(e) if e.is_unique_violation() => return Ok(Err(already_exists(&id, &version))),
                other => other?,
            };
            packages::record_change(tx, package_key)?;
            db::audit::record(
                tx,
                &db::audit::AuditEntry {
                    actor_id: principal.account_id,
                    actor_name: Some(&principal.username),
                    ip,
                    action: "package.push",
                    package_id: Some(&id),
                    version: Some(&version),
                    detail: principal.key.as_ref().map(|k| format!("api key {}", k.key_id)).as_deref(),
                },
            )?;
            Ok(Ok(()))
        })
        .map_err(AppError::from)
        .and_then(|r| r)
    });
    if let Err(e) = committed {
        // Remove the files only if this push created them and no row points at them: a racing
        // push of the same bytes may have committed while this one failed.
        if created && packages::version_status(&conn, &id_lower, &version_lower)?.is_none() {
            let _ = state.store.delete(&id_lower, &version_lower);
        }
        return Err(e);
    }
    state.docs.refresh(&conn, &id_lower)?;
    tracing::info!(id = %id, version = %version, by = %principal.username, "package published");
    Ok(Published { id, version })
}

fn store_extras(
    state: &AppState,
    archive: &PackageArchive,
    id_lower: &str,
    version_lower: &str,
) -> Result<(), AppError> {
    if let Some(readme) = &archive.readme {
        state.store.put_extra(id_lower, version_lower, "readme", readme)?;
    }
    if let Some(icon) = &archive.icon {
        state.store.put_extra(id_lower, version_lower, "icon", icon)?;
    }
    if let Some(license) = &archive.license_file {
        state.store.put_extra(id_lower, version_lower, "license", license)?;
    }
    Ok(())
}

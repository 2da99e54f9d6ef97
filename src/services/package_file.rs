//! A package file on its way in: read and checked within the configured limits (the error is a
//! sentence for the client), and the files the portal shows stored beside it. Shared by the
//! push, the scan that promotes a held upload, the portal's upload preview and import.
use crate::domain::nupkg::{self, NupkgLimits, PackageArchive};
use crate::error::AppError;
use crate::state::AppState;
use std::fs::File;
use std::path::Path;

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
    crate::domain::signature::check_package(File::open(path)?).map_err(|e| AppError::BadRequest(invalid(&e)))?;
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

/// Stores the readme, icon and license file beside the package, where the portal serves them from.
pub fn store_extras(
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

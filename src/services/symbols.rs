//! Publishing a symbol package (`.snupkg`) under nuget.org's rules: an existing id+version the
//! caller may push (the package push's own rule, `permissions::authorize`), a `SymbolsPackage`
//! manifest, only portable PDBs, each matching the `.dll`/`.exe` at the same path of the stored
//! package. Then the virus scan, and only then the files beside the package and the index rows,
//! so a refused or infected upload leaves the previous symbols in place. Used by the push route
//! and `galley import`.
use super::audit;
use super::package_file;
use super::permissions::{authorize, PackageAction, Principal};
use super::publish::Published;
use crate::db::sql::Sql;
use crate::db::{self, symbols::SymbolFileRow};
use crate::domain::snupkg::{self, SymbolPackageError};
use crate::domain::symbol_match::{match_pdb, MatchedPdb};
use crate::domain::version_status::VersionStatus;
use crate::error::AppError;
use crate::scan::ScanOutcome;
use crate::state::AppState;
use std::fs::File;
use std::path::{Path, PathBuf};

/// The stored symbol package, beside the `.nupkg`.
pub const SNUPKG_NAME: &str = "symbols.snupkg";

fn stored_pdb_name(key: &str) -> String {
    format!("symbols-{key}.pdb")
}

fn invalid(e: &dyn std::fmt::Display) -> AppError {
    AppError::BadRequest(format!("The symbol package is invalid: {e}."))
}

fn no_package(id: &str, version: &str) -> AppError {
    AppError::NotFound(format!(
        "The package '{id}' version '{version}' does not exist; push the package before its symbols."
    ))
}

/// Validates and publishes the symbol package at `path`. Blocking: call from a blocking thread.
pub fn publish_symbols(
    state: &AppState,
    principal: &Principal,
    path: &Path,
    ip: Option<&str>,
) -> Result<Published, AppError> {
    let size = std::fs::metadata(path)?.len();
    if size > state.config.max_package_bytes() {
        return Err(package_file::too_large(state));
    }
    let archive =
        snupkg::read_symbol_package(File::open(path)?, &package_file::limits(state)).map_err(|e| match e {
            SymbolPackageError::Package(inner) => invalid(&inner),
            other => invalid(&other),
        })?;
    let nuspec = &archive.nuspec;
    let (id, version) = (nuspec.id.as_str().to_owned(), nuspec.version.normalized());
    let (id_lower, version_lower) = (nuspec.id.lower(), nuspec.version.lower_normalized());

    let conn = state.conn()?;
    let package = db::packages::find(&conn, &id_lower)?.ok_or_else(|| no_package(&id, &version))?;
    // Symbols may follow a package that is still being scanned (its files are in the pending area).
    let (version_key, status) = db::symbols::version_key(&conn, &id_lower, &version_lower)?
        .filter(|(_, status)| matches!(status, VersionStatus::Available | VersionStatus::Validating))
        .ok_or_else(|| no_package(&package.package_id, &version))?;
    let owners = db::packages::owner_ids(&conn, package.key)?;
    authorize(principal, PackageAction::Push, &package.package_id, Some(&owners))?;
    drop(conn);

    let nupkg = if status == VersionStatus::Available {
        crate::store::local(&*state.store, state.store.nupkg_path(&id_lower, &version_lower))?
    } else {
        state.pending.path(&id_lower, &version_lower)
    };
    let matched = match_all(state, &nupkg, &archive.pdbs)?;

    // One symbol push per version at a time: the old files are removed by the one that replaced them.
    let claim_key = format!("{version_lower}#symbols");
    let _claim = state.pushes.claim(&id_lower, &claim_key).ok_or_else(|| {
        AppError::Conflict(format!("Symbols for '{id}' version '{version}' are being pushed right now; try again."))
    })?;
    match state.scanner.scan(path) {
        ScanOutcome::Clean => {}
        ScanOutcome::Infected { signature } => {
            tracing::warn!(id = %id, version = %version, signature, "symbol push refused: virus found");
            return Err(AppError::BadRequest(format!(
                "The symbol package failed validation: virus found: {signature}."
            )));
        }
        ScanOutcome::Error(message) => {
            tracing::warn!(id = %id, version = %version, error = %message, "scanner unavailable; symbol push refused");
            return Err(AppError::Unavailable {
                message: "The virus scanner is unavailable; push the symbol package again later.".into(),
                retry_after: 60,
            });
        }
    }
    state.disk.check_writable(size)?;
    let rows = store_files(state, (&id_lower, &version_lower), path, &archive.pdbs, &matched)?;

    let mut conn = state.conn()?;
    let old = conn.write_durable(|tx| {
        let old = db::symbols::replace(tx, version_key, &rows)?;
        db::audit::record(
            tx,
            &db::audit::AuditEntry {
                package_id: Some(&package.package_id),
                version: Some(&version),
                detail: principal.key.as_ref().map(|k| format!("api key {}", k.key_id)).as_deref(),
                ..audit::by(principal, ip, "symbols.push")
            },
        )?;
        Ok(old)
    })?;
    let kept: Vec<&str> = rows.iter().map(|r| r.stored_name.as_str()).collect();
    state.symbols.replace_version(&id_lower, &version_lower, rows.clone());
    for name in old.iter().filter(|n| !kept.contains(&n.as_str())) {
        let _ = state.store.delete_extra(&id_lower, &version_lower, name);
    }
    tracing::info!(id = %package.package_id, version = %version, pdbs = rows.len(), by = %principal.username, "symbols published");
    Ok(Published { id: package.package_id, version })
}

/// Matches every PDB against the assembly at its path in the stored package.
fn match_all(state: &AppState, nupkg: &Path, pdbs: &[(String, Vec<u8>)]) -> Result<Vec<MatchedPdb>, AppError> {
    let mut zip = zip::ZipArchive::new(File::open(nupkg)?).map_err(AppError::internal)?;
    let max = state.config.publish.max_expanded_mb * 1024 * 1024;
    pdbs.iter()
        .map(|(pdb_path, bytes)| {
            let assembly = snupkg::find_assembly(&mut zip, pdb_path, max).map_err(|e| invalid(&e))?;
            let assembly = assembly.as_ref().map(|(name, bytes)| (name.as_str(), bytes.as_slice()));
            match_pdb(pdb_path, bytes, assembly).map_err(|e| invalid(&e))
        })
        .collect()
}

/// Writes the PDBs and the `.snupkg` beside the package (atomic renames; old names are removed
/// by the caller after the commit).
fn store_files(
    state: &AppState,
    (id_lower, version_lower): (&str, &str),
    snupkg: &Path,
    pdbs: &[(String, Vec<u8>)],
    matched: &[MatchedPdb],
) -> Result<Vec<SymbolFileRow>, AppError> {
    let mut rows = Vec::with_capacity(pdbs.len());
    for ((_, bytes), m) in pdbs.iter().zip(matched) {
        let stored_name = stored_pdb_name(&m.key);
        state.store.put_extra(id_lower, version_lower, &stored_name, bytes)?;
        rows.push(SymbolFileRow {
            id_lower: id_lower.to_owned(),
            version_lower: version_lower.to_owned(),
            file_lower: m.file_name.clone(),
            key_lower: m.key.clone(),
            checksum: m.checksum.clone(),
            stored_name,
        });
    }
    state.store.put_extra(id_lower, version_lower, SNUPKG_NAME, &std::fs::read(snupkg)?)?;
    Ok(rows)
}

/// The stored PDB for an SSQP request, when the version is served and the client's
/// `SymbolChecksum` header (when sent) lists the PDB's checksum. No SQL.
pub fn find_pdb(state: &AppState, file: &str, key: &str, checksums: Option<&str>) -> Option<PathBuf> {
    let entry = state.symbols.lookup(file, key)?;
    if !is_served(state, &entry.id_lower, &entry.version_lower) {
        return None;
    }
    if let Some(listed) = checksums {
        // `SHA256:<hex>` entries separated by `;`, as Visual Studio and dotnet-symbol send them.
        if !listed.split(';').any(|c| c.trim().eq_ignore_ascii_case(&entry.checksum)) {
            return None;
        }
    }
    Some(state.store.extra_path(&entry.id_lower, &entry.version_lower, &entry.stored_name))
}

/// The stored `.snupkg` of a served id+version, by their keys.
pub fn find_snupkg(state: &AppState, id_lower: &str, version_lower: &str) -> Option<PathBuf> {
    if !is_served(state, id_lower, version_lower) || !state.symbols.has_version(id_lower, version_lower) {
        return None;
    }
    Some(state.store.extra_path(id_lower, version_lower, SNUPKG_NAME))
}

/// Symbols are served exactly when their package is (unlisted included, as on nuget.org).
fn is_served(state: &AppState, id_lower: &str, version_lower: &str) -> bool {
    state.docs.lookup(id_lower).is_some_and(|set| set.versions.contains(version_lower))
}

/// Forgets a hard-deleted version's symbols (its files went with the version's folder), on the
/// caller's connection (`lifecycle::apply` deletes the version with it).
pub(super) fn forget(state: &AppState, conn: &dyn Sql, id_lower: &str, version_lower: &str) -> Result<(), AppError> {
    if let Some((key, _)) = db::symbols::version_key(conn, id_lower, version_lower)? {
        db::symbols::delete(conn, key)?;
    }
    state.symbols.replace_version(id_lower, version_lower, Vec::new());
    Ok(())
}

/// Whether id+version has symbols (the package page's "Symbols available").
pub fn available(state: &AppState, id_lower: &str, version_lower: &str) -> bool {
    state.symbols.has_version(id_lower, version_lower)
}

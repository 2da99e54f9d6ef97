//! Reads a symbol package (`.snupkg`, untrusted) under nuget.org's rules: a valid package (the
//! same zip, path and size checks as a `.nupkg`) whose manifest has the `SymbolsPackage` package
//! type and whose files are `.pdb` files plus the manifest and the packaging metadata.
use super::nupkg::{self, has_extension, percent_decode, NupkgLimits, PackageError};
use super::nuspec::Nuspec;
use std::io::{Read, Seek};
use zip::ZipArchive;

pub const SYMBOLS_PACKAGE_TYPE: &str = "SymbolsPackage";

#[derive(Debug, Clone)]
pub struct SymbolArchive {
    pub nuspec: Nuspec,
    /// (path in the package, bytes) of every `.pdb`, in archive order.
    pub pdbs: Vec<(String, Vec<u8>)>,
}

#[derive(Debug, thiserror::Error)]
pub enum SymbolPackageError {
    #[error(transparent)]
    Package(#[from] PackageError),
    #[error("its manifest does not have the package type '{SYMBOLS_PACKAGE_TYPE}'")]
    NotSymbols,
    #[error("'{0}' is not a .pdb file; a symbol package may contain only .pdb files")]
    NotPdb(String),
    #[error("it contains no .pdb files")]
    NoPdbs,
}

/// Files every package has besides its content: the OPC parts NuGet's packing writes.
fn is_package_metadata(name: &str) -> bool {
    let lower = name.to_ascii_lowercase().replace('\\', "/");
    lower == "[content_types].xml" || lower.starts_with("_rels/") || lower.starts_with("package/")
}

/// Opens and checks a symbol package and reads its PDBs.
pub fn read_symbol_package<R: Read + Seek>(
    mut reader: R,
    limits: &NupkgLimits,
) -> Result<SymbolArchive, SymbolPackageError> {
    let archive = nupkg::read_package_as(&mut reader, limits, Nuspec::parse_symbols)?;
    if !archive.nuspec.package_types.iter().any(|t| t.name.eq_ignore_ascii_case(SYMBOLS_PACKAGE_TYPE)) {
        return Err(SymbolPackageError::NotSymbols);
    }
    for name in &archive.entries {
        let at_root = !name.contains(['/', '\\']);
        let is_manifest = at_root && has_extension(name, ".nuspec");
        if !is_manifest && !is_package_metadata(name) && !has_extension(name, ".pdb") {
            return Err(SymbolPackageError::NotPdb(name.clone()));
        }
    }
    reader.rewind().map_err(|_| PackageError::NotZip)?;
    let mut zip = ZipArchive::new(reader).map_err(|_| PackageError::NotZip)?;
    let mut pdbs = Vec::new();
    for index in 0..zip.len() {
        let entry = zip.by_index(index).map_err(|_| PackageError::NotZip)?;
        let name = percent_decode(entry.name());
        if entry.is_dir() || !has_extension(&name, ".pdb") || is_package_metadata(&name) {
            continue;
        }
        // `read_package` inflated every entry within the budget; the cap holds regardless.
        let mut bytes = Vec::new();
        entry
            .take(limits.max_uncompressed_bytes)
            .read_to_end(&mut bytes)
            .map_err(|_| PackageError::UnreadableEntry(name.clone()))?;
        pdbs.push((name.replace('\\', "/"), bytes));
    }
    if pdbs.is_empty() {
        return Err(SymbolPackageError::NoPdbs);
    }
    Ok(SymbolArchive { nuspec: archive.nuspec, pdbs })
}

/// The `.dll` or `.exe` of a package at the same path as `pdb_path` (compared without case, as
/// nuget.org does), with its path and bytes, read up to `max_bytes`.
pub fn find_assembly<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    pdb_path: &str,
    max_bytes: u64,
) -> Result<Option<(String, Vec<u8>)>, PackageError> {
    let stem = &pdb_path[..pdb_path.len() - ".pdb".len()];
    for index in 0..zip.len() {
        let entry = zip.by_index(index).map_err(|_| PackageError::NotZip)?;
        let name = percent_decode(entry.name()).replace('\\', "/");
        let Some(tail) = name.get(stem.len()..) else { continue };
        let same_stem = name.get(..stem.len()).is_some_and(|s| s.eq_ignore_ascii_case(stem));
        if !same_stem || !(tail.eq_ignore_ascii_case(".dll") || tail.eq_ignore_ascii_case(".exe")) {
            continue;
        }
        let mut bytes = Vec::new();
        entry.take(max_bytes).read_to_end(&mut bytes).map_err(|_| PackageError::UnreadableEntry(name.clone()))?;
        return Ok(Some((name, bytes)));
    }
    Ok(None)
}

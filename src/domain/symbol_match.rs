//! Whether a portable PDB belongs to an assembly, as nuget.org's symbol validation decides it:
//! the PDB id equals the assembly's CodeView GUID and debug-entry stamp, and when the assembly
//! records PDB checksums one of them is the PDB's. Also the file's SSQP key and checksum.
use super::pdb_id::PdbId;
use super::pe::{self, PeError};
use super::portable_pdb::{self, PdbError};

/// A PDB that passed: what the symbol server needs to find and check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedPdb {
    /// The PDB's file name (last path segment), lower case: SSQP's `{file}`.
    pub file_name: String,
    pub key: String,
    /// `SHA256:<hex>` of the PDB with its id zeroed: what a client's `SymbolChecksum` header lists.
    pub checksum: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    #[error("'{0}': {1}")]
    Pdb(String, PdbError),
    #[error("'{pdb}' has no matching .dll or .exe at the same path in the package")]
    NoAssembly { pdb: String },
    #[error("'{assembly}' cannot be read: {error}")]
    Assembly { assembly: String, error: PeError },
    #[error("'{pdb}' does not belong to '{assembly}': its PDB id is not the one the assembly's debug directory names")]
    IdMismatch { pdb: String, assembly: String },
    #[error("'{pdb}' does not belong to '{assembly}': its checksum is not the one the assembly records")]
    ChecksumMismatch { pdb: String, assembly: String },
}

/// Checks the PDB at `pdb_path` against its assembly (`None` when the package has none there).
pub fn match_pdb(pdb_path: &str, pdb: &[u8], assembly: Option<(&str, &[u8])>) -> Result<MatchedPdb, MatchError> {
    let header = portable_pdb::read(pdb).map_err(|e| MatchError::Pdb(pdb_path.to_owned(), e))?;
    let Some((assembly_path, assembly)) = assembly else {
        return Err(MatchError::NoAssembly { pdb: pdb_path.to_owned() });
    };
    let named = |f: fn(String, String) -> MatchError| f(pdb_path.to_owned(), assembly_path.to_owned());
    let info = pe::read_debug_info(assembly)
        .map_err(|error| MatchError::Assembly { assembly: assembly_path.to_owned(), error })?;
    let ids: Vec<PdbId> = info.codeviews.iter().map(pe::CodeView::pdb_id).collect();
    if !ids.contains(&header.id) {
        return Err(named(|pdb, assembly| MatchError::IdMismatch { pdb, assembly }));
    }
    let recorded = info
        .checksums
        .iter()
        .filter_map(|c| portable_pdb::checksum(pdb, &header, &c.algorithm).map(|actual| actual == c.checksum));
    let mut any = false;
    let mut matched = false;
    for ok in recorded {
        any = true;
        matched |= ok;
    }
    if any && !matched {
        return Err(named(|pdb, assembly| MatchError::ChecksumMismatch { pdb, assembly }));
    }
    let sha256 = portable_pdb::checksum(pdb, &header, "SHA256").unwrap_or_default();
    Ok(MatchedPdb {
        file_name: pdb_path.rsplit('/').next().unwrap_or(pdb_path).to_ascii_lowercase(),
        key: header.id.ssqp_key(),
        checksum: format!("SHA256:{}", hex::encode(sha256)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The fuzz seeds (`fuzz/seeds.py`): a PE32 whose CodeView entry names the seed PDB.
    const PDB: &[u8] = include_bytes!("../../fuzz/corpus/pdb/seed-portable");
    const PE: &[u8] = include_bytes!("../../fuzz/corpus/pe/seed-codeview");
    const PE_WRONG_CHECKSUM: &[u8] = include_bytes!("../../fuzz/corpus/pe/seed-codeview-checksum");
    const WINDOWS: &[u8] = include_bytes!("../../fuzz/corpus/pdb/seed-windows");

    #[test]
    fn matches_the_assembly_it_was_built_with() {
        let info = pe::read_debug_info(PE).unwrap();
        assert_eq!(info.codeviews.len(), 1);
        assert!(info.codeviews[0].portable);
        assert_eq!(info.codeviews[0].path, "Lib.pdb");
        let matched = match_pdb("lib/net8.0/Lib.pdb", PDB, Some(("lib/net8.0/Lib.dll", PE))).unwrap();
        assert_eq!(matched.file_name, "lib.pdb");
        assert_eq!(matched.key, "030201000504070608090a0b0c0d0e0fffffffff");
        assert!(matched.checksum.starts_with("SHA256:"));
    }

    #[test]
    fn names_the_file_and_the_reason() {
        let err = |pdb, pe| match_pdb("lib/Lib.pdb", pdb, pe).unwrap_err().to_string();
        assert_eq!(
            err(PDB, Some(("lib/Lib.dll", PE_WRONG_CHECKSUM))),
            "'lib/Lib.pdb' does not belong to 'lib/Lib.dll': its checksum is not the one the assembly records"
        );
        assert_eq!(err(PDB, None), "'lib/Lib.pdb' has no matching .dll or .exe at the same path in the package");
        assert_eq!(
            err(WINDOWS, Some(("lib/Lib.dll", PE))),
            "'lib/Lib.pdb': it is a Windows PDB; only portable PDBs are accepted: build with \
             <DebugType>portable</DebugType>"
        );
        let mut other = PDB.to_vec();
        other[48] ^= 1;
        assert_eq!(
            err(&other, Some(("lib/Lib.dll", PE))),
            "'lib/Lib.pdb' does not belong to 'lib/Lib.dll': its PDB id is not the one the assembly's debug \
             directory names"
        );
        assert_eq!(
            err(PDB, Some(("lib/Lib.dll", b"MZ"))),
            "'lib/Lib.dll' cannot be read: it is not a PE file (.dll or .exe)"
        );
    }
}

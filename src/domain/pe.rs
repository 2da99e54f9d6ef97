//! Reads what symbol matching needs from a .NET assembly (a PE file, untrusted): the CodeView
//! (RSDS) entry of its debug directory and its PDB checksum entries. The `object` crate parses
//! the PE headers and maps the debug directory; this module only reads the two entry kinds.
use super::pdb_id::{Guid, PdbId};
use object::pe::{ImageDebugDirectory, ImageNtHeaders32, ImageNtHeaders64, IMAGE_DEBUG_TYPE_CODEVIEW};
use object::read::pe::{ImageNtHeaders, PeFile};
use object::{FileKind, LittleEndian as LE};

/// Debug directory entry type of a PDB checksum (PE/COFF spec, "PDB Checksum Debug Directory Entry").
const IMAGE_DEBUG_TYPE_PDBCHECKSUM: u32 = 19;
/// `MinorVersion` of a CodeView entry that points at a portable PDB ("PM").
const PORTABLE_CODEVIEW_MINOR: u16 = 0x504d;
/// More entries than this is no compiler's output; the cap bounds work on a hostile file.
const MAX_ENTRIES: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeView {
    pub guid: Guid,
    pub age: u32,
    /// The debug entry's time stamp: for a portable PDB, the last four bytes of its PDB id.
    pub stamp: u32,
    /// The PDB path the compiler recorded (lossy UTF-8).
    pub path: String,
    /// Whether the entry says its PDB is portable.
    pub portable: bool,
}

impl CodeView {
    /// The PDB id a matching portable PDB must carry.
    pub fn pdb_id(&self) -> PdbId {
        PdbId { guid: self.guid, stamp: self.stamp }
    }
}

/// A PDB checksum entry: the hash algorithm's name (`SHA256`…) and the hash of the PDB with its
/// id zeroed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdbChecksum {
    pub algorithm: String,
    pub checksum: Vec<u8>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DebugInfo {
    /// Every RSDS entry (a deterministic build may have one for the portable PDB only).
    pub codeviews: Vec<CodeView>,
    pub checksums: Vec<PdbChecksum>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeError {
    #[error("it is not a PE file (.dll or .exe)")]
    NotPe,
    #[error("its debug directory is damaged")]
    BadDebugDirectory,
}

/// Reads the debug directory of a PE file.
pub fn read_debug_info(data: &[u8]) -> Result<DebugInfo, PeError> {
    match FileKind::parse(data) {
        Ok(FileKind::Pe32) => read::<ImageNtHeaders32>(data),
        Ok(FileKind::Pe64) => read::<ImageNtHeaders64>(data),
        _ => Err(PeError::NotPe),
    }
}

fn read<Pe: ImageNtHeaders>(data: &[u8]) -> Result<DebugInfo, PeError> {
    let file = PeFile::<Pe>::parse(data).map_err(|_| PeError::NotPe)?;
    let Some(dir) = file.data_directory(object::pe::IMAGE_DIRECTORY_ENTRY_DEBUG) else {
        return Ok(DebugInfo::default());
    };
    let bytes = dir.data(data, &file.section_table()).map_err(|_| PeError::BadDebugDirectory)?;
    let entries =
        object::pod::slice_from_all_bytes::<ImageDebugDirectory>(bytes).map_err(|()| PeError::BadDebugDirectory)?;
    let mut info = DebugInfo::default();
    for entry in entries.iter().take(MAX_ENTRIES) {
        let typ = entry.typ.get(LE);
        if typ != IMAGE_DEBUG_TYPE_CODEVIEW && typ != IMAGE_DEBUG_TYPE_PDBCHECKSUM {
            continue;
        }
        let start = usize::try_from(entry.pointer_to_raw_data.get(LE)).map_err(|_| PeError::BadDebugDirectory)?;
        let len = usize::try_from(entry.size_of_data.get(LE)).map_err(|_| PeError::BadDebugDirectory)?;
        let raw = start.checked_add(len).and_then(|end| data.get(start..end)).ok_or(PeError::BadDebugDirectory)?;
        if typ == IMAGE_DEBUG_TYPE_CODEVIEW {
            if let Some(cv) = codeview(raw, entry) {
                info.codeviews.push(cv);
            }
        } else {
            info.checksums.push(checksum(raw).ok_or(PeError::BadDebugDirectory)?);
        }
    }
    Ok(info)
}

/// `RSDS`, GUID, age, NUL-terminated path. Other CodeView formats (NB10) name no portable PDB.
fn codeview(raw: &[u8], entry: &ImageDebugDirectory) -> Option<CodeView> {
    let rest = raw.strip_prefix(b"RSDS")?;
    let guid: [u8; 16] = rest.get(..16)?.try_into().ok()?;
    let age = u32::from_le_bytes(rest.get(16..20)?.try_into().ok()?);
    let path = rest.get(20..)?;
    let path = &path[..memchr::memchr(0, path)?];
    Some(CodeView {
        guid: Guid(guid),
        age,
        stamp: entry.time_date_stamp.get(LE),
        path: String::from_utf8_lossy(path).into_owned(),
        portable: entry.minor_version.get(LE) == PORTABLE_CODEVIEW_MINOR,
    })
}

/// NUL-terminated UTF-8 algorithm name, then the checksum bytes.
fn checksum(raw: &[u8]) -> Option<PdbChecksum> {
    let end = memchr::memchr(0, raw)?;
    let algorithm = std::str::from_utf8(&raw[..end]).ok()?.to_owned();
    Some(PdbChecksum { algorithm, checksum: raw[end + 1..].to_vec() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_pe_file() {
        assert_eq!(read_debug_info(b""), Err(PeError::NotPe));
        assert_eq!(read_debug_info(b"MZ not really"), Err(PeError::NotPe));
        assert_eq!(read_debug_info(b"BSJB\x01\x00\x01\x00"), Err(PeError::NotPe));
    }

    /// Found by the `pe` fuzz target: a CodeView path of bytes that are not UTF-8 is read with
    /// U+FFFD in their place (three bytes each in the `String`), one character per invalid byte at
    /// most, so it never claims more characters than the file has bytes.
    #[test]
    fn a_path_that_is_not_utf8_is_read_lossily_within_the_input() {
        let data = include_bytes!("../../fuzz/corpus/pe/seed-lossy-codeview-path");
        let info = read_debug_info(data).expect("the headers are sound");
        // Its bytes outnumber the file's, which is why the fuzz property counts characters.
        assert!(info.codeviews.iter().any(|cv| cv.path.len() > data.len() && cv.path.contains('\u{FFFD}')));
        for cv in &info.codeviews {
            assert!(cv.path.chars().count() <= data.len());
        }
    }
}

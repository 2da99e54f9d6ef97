//! Reads the header of a portable PDB (untrusted): the ECMA-335 metadata root (`BSJB`), its
//! stream headers, and the `#Pdb` stream's 20-byte PDB id. Also recognises a Windows (MSF) PDB,
//! which symbol packages may not carry, and computes the checksum an assembly records for its PDB.
use super::pdb_id::{Guid, PdbId};
use sha2::{Digest, Sha256, Sha384, Sha512};

/// The first bytes of a Windows PDB (the MSF 7.0 container).
const MSF_MAGIC: &[u8] = b"Microsoft C/C++ MSF 7.00\r\n\x1aDS";
const METADATA_SIGNATURE: &[u8] = b"BSJB";
/// The version string is at most this long (ECMA-335 II.24.2.1: padded length ≤ 255).
const MAX_VERSION_LEN: usize = 256;
/// More stream headers than this is no real PDB; the cap bounds work on a hostile file.
const MAX_STREAMS: usize = 64;
const PDB_ID_LEN: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortablePdb {
    pub id: PdbId,
    /// Where the 20 id bytes start in the file (zeroed when the checksum is computed).
    pub id_offset: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdbError {
    #[error("it is a Windows PDB; only portable PDBs are accepted: build with <DebugType>portable</DebugType>")]
    Windows,
    #[error("it is not a portable PDB")]
    NotPortable,
    #[error("its portable PDB header is damaged")]
    Damaged,
}

/// Parses the header of a PDB file.
pub fn read(data: &[u8]) -> Result<PortablePdb, PdbError> {
    if data.starts_with(MSF_MAGIC) {
        return Err(PdbError::Windows);
    }
    if !data.starts_with(METADATA_SIGNATURE) {
        return Err(PdbError::NotPortable);
    }
    let mut at = Cursor { data, pos: 12 };
    let version_len = at.u32()? as usize;
    if version_len > MAX_VERSION_LEN {
        return Err(PdbError::Damaged);
    }
    at.skip(version_len)?;
    at.skip(2)?; // flags
    let streams = usize::from(at.u16()?);
    for _ in 0..streams.min(MAX_STREAMS) {
        let offset = at.u32()? as usize;
        let size = at.u32()? as usize;
        let name = at.padded_name()?;
        if name == b"#Pdb" {
            if size < PDB_ID_LEN {
                return Err(PdbError::Damaged);
            }
            let id = offset.checked_add(PDB_ID_LEN).and_then(|end| data.get(offset..end)).ok_or(PdbError::Damaged)?;
            let guid: [u8; 16] = id[..16].try_into().map_err(|_| PdbError::Damaged)?;
            let stamp = u32::from_le_bytes(id[16..].try_into().map_err(|_| PdbError::Damaged)?);
            return Ok(PortablePdb { id: PdbId { guid: Guid(guid), stamp }, id_offset: offset });
        }
    }
    // Metadata without a `#Pdb` stream is an assembly's metadata, not a PDB.
    Err(PdbError::NotPortable)
}

/// The checksum of a portable PDB as its assembly's PDB checksum entry records it: the hash of
/// the file with the 20 id bytes zeroed. `None` for an algorithm this server does not know.
pub fn checksum(data: &[u8], pdb: &PortablePdb, algorithm: &str) -> Option<Vec<u8>> {
    let end = pdb.id_offset.checked_add(PDB_ID_LEN).filter(|&e| e <= data.len())?;
    let parts: [&[u8]; 3] = [&data[..pdb.id_offset], &[0u8; PDB_ID_LEN], &data[end..]];
    match algorithm.to_ascii_uppercase().as_str() {
        "SHA256" => Some(hash::<Sha256>(parts)),
        "SHA384" => Some(hash::<Sha384>(parts)),
        "SHA512" => Some(hash::<Sha512>(parts)),
        _ => None,
    }
}

fn hash<D: Digest>(parts: [&[u8]; 3]) -> Vec<u8> {
    let mut d = D::new();
    for p in parts {
        d.update(p);
    }
    d.finalize().to_vec()
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], PdbError> {
        let end = self.pos.checked_add(n).ok_or(PdbError::Damaged)?;
        let bytes = self.data.get(self.pos..end).ok_or(PdbError::Damaged)?;
        self.pos = end;
        Ok(bytes)
    }
    fn skip(&mut self, n: usize) -> Result<(), PdbError> {
        self.take(n).map(|_| ())
    }
    fn u16(&mut self) -> Result<u16, PdbError> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().map_err(|_| PdbError::Damaged)?))
    }
    fn u32(&mut self) -> Result<u32, PdbError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().map_err(|_| PdbError::Damaged)?))
    }
    /// A stream name: NUL-terminated ASCII padded to a multiple of four, at most 32 bytes.
    fn padded_name(&mut self) -> Result<&[u8], PdbError> {
        let rest = self.data.get(self.pos..).ok_or(PdbError::Damaged)?;
        let len = memchr::memchr(0, &rest[..rest.len().min(32)]).ok_or(PdbError::Damaged)?;
        let padded = (len + 4) & !3;
        let start = self.pos;
        self.skip(padded)?;
        Ok(&self.data[start..start + len])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::nupkg_builder::portable_pdb as pdb;

    #[test]
    fn reads_the_pdb_id() {
        let mut id = [7u8; 20];
        id[16..].copy_from_slice(&0x1234_5678u32.to_le_bytes());
        let bytes = pdb(&id);
        let read = read(&bytes).unwrap();
        assert_eq!(read.id_offset, 48);
        assert_eq!(read.id.guid, Guid([7; 16]));
        assert_eq!(read.id.stamp, 0x1234_5678);
        // The checksum ignores the id: two PDBs differing only there hash alike.
        let other = pdb(&[9u8; 20]);
        assert_eq!(checksum(&bytes, &read, "SHA256"), checksum(&other, &read, "sha256"));
        assert_eq!(checksum(&bytes, &read, "MD5"), None);
    }

    #[test]
    fn refuses_windows_pdbs_and_damage() {
        assert_eq!(read(b"Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0"), Err(PdbError::Windows));
        assert_eq!(read(b"MZ"), Err(PdbError::NotPortable));
        let good = pdb(&[1; 20]);
        for cut in [4, 20, 40, 50] {
            assert_eq!(read(&good[..cut]), Err(PdbError::Damaged), "cut at {cut}");
        }
        assert!(PdbError::Windows.to_string().contains("<DebugType>portable</DebugType>"));
    }
}

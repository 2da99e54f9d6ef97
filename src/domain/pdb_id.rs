//! The identity a portable PDB and its assembly share: a GUID and a 4-byte stamp (the PDB's
//! "PDB id", the assembly's CodeView GUID plus debug-entry time stamp), and the symbol-server key
//! derived from it.

/// A .NET `Guid` as stored in files: `Data1` (u32), `Data2` and `Data3` (u16) little-endian, then
/// eight bytes as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Guid(pub [u8; 16]);

impl Guid {
    /// The GUID's textual form without dashes, lower case (`Guid.ToString("N")`): the little-endian
    /// fields are written most significant byte first, so this is not the stored byte order.
    pub fn to_simple_hex(self) -> String {
        let b = self.0;
        let data1 = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let data2 = u16::from_le_bytes([b[4], b[5]]);
        let data3 = u16::from_le_bytes([b[6], b[7]]);
        format!("{data1:08x}{data2:04x}{data3:04x}{}", hex::encode(&b[8..]))
    }
}

/// A portable PDB's id as the assembly's debug directory records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PdbId {
    pub guid: Guid,
    pub stamp: u32,
}

impl PdbId {
    /// The SSQP key of a portable PDB: the GUID's simple form then `FFFFFFFF` where a Windows
    /// PDB has its age (what `dotnet-symbol`, Visual Studio and nuget.org's server use).
    pub fn ssqp_key(self) -> String {
        format!("{}FFFFFFFF", self.guid.to_simple_hex()).to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_uses_the_textual_byte_order() {
        // Guid "00112233-4455-6677-8899-aabbccddeeff" as .NET stores it.
        let stored = [0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff];
        let id = PdbId { guid: Guid(stored), stamp: 7 };
        assert_eq!(id.guid.to_simple_hex(), "00112233445566778899aabbccddeeff");
        assert_eq!(id.ssqp_key(), "00112233445566778899aabbccddeeffffffffff");
    }
}

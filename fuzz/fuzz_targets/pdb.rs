//! The PDB reader of a symbol push: the portable PDB header (metadata root, stream headers,
//! `#Pdb` id), the checksum over the file, and the match against an assembly (the same bytes, so
//! the PE reader also sees PDB-shaped input).
#![no_main]

use galley::domain::portable_pdb::{checksum, read};
use galley::domain::symbol_match::match_pdb;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(pdb) = read(data) {
        // The id lies inside the file, so the checksum over it always exists.
        assert!(pdb.id_offset + 20 <= data.len());
        assert_eq!(checksum(data, &pdb, "SHA256").map(|c| c.len()), Some(32));
        assert_eq!(pdb.id.ssqp_key().len(), 40);
    }
    let _ = match_pdb("lib/x.pdb", data, Some(("lib/x.dll", data)));
});

//! The assembly reader of a symbol push: the PE headers and debug directory of a `.dll`/`.exe`
//! from the stored package, read to match a PDB against it.
#![no_main]

use galley::domain::pe::read_debug_info;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(info) = read_debug_info(data) {
        // Everything read points inside the input: no entry is larger than the file. The PDB
        // path is read as lossy UTF-8, where one invalid byte becomes U+FFFD (three bytes), so its
        // characters are counted, not its bytes: each comes from at least one input byte.
        for cv in &info.codeviews {
            assert!(cv.path.chars().count() <= data.len());
        }
        for c in &info.checksums {
            assert!(c.checksum.len() + c.algorithm.len() < data.len());
        }
    }
});

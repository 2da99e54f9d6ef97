//! A signed package's `.signature.p7s` must at least be a well-formed PKCS#7 `SignedData`
//! envelope: one DER SEQUENCE spanning the whole file whose content type is signedData. Verifying
//! the signature itself (certificates, timestamps) needs a full CMS stack and is not done here.
use std::io::{Read, Seek};

pub const SIGNATURE_FILE: &str = ".signature.p7s";
/// Real signatures with certificate chains and timestamps are tens of KB.
pub const MAX_SIGNATURE_BYTES: u64 = 4 << 20;
/// DER of OID 1.2.840.113549.1.7.2 (PKCS#7 signedData).
const SIGNED_DATA_OID: &[u8] = &[0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the package signature file {SIGNATURE_FILE} is empty")]
    Empty,
    #[error("the package signature file {SIGNATURE_FILE} is larger than {} MB", MAX_SIGNATURE_BYTES >> 20)]
    TooLarge,
    #[error("the package signature file {SIGNATURE_FILE} is not well-formed: {0}")]
    Malformed(&'static str),
    #[error("the package signature file {SIGNATURE_FILE} cannot be read")]
    Unreadable,
}

/// Reads a DER tag and length; returns (tag, header length, content length).
fn header(b: &[u8]) -> Result<(u8, usize, usize), SignatureError> {
    let (&tag, rest) = b.split_first().ok_or(SignatureError::Malformed("it is truncated"))?;
    let &first = rest.first().ok_or(SignatureError::Malformed("it is truncated"))?;
    if first < 0x80 {
        return Ok((tag, 2, usize::from(first)));
    }
    let n = usize::from(first & 0x7F);
    if n == 0 {
        return Err(SignatureError::Malformed("it uses an indefinite length, which DER forbids"));
    }
    if n > 4 {
        return Err(SignatureError::Malformed("its length field is too long"));
    }
    let bytes = rest.get(1..=n).ok_or(SignatureError::Malformed("it is truncated"))?;
    let len = bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    if bytes[0] == 0 || len < 0x80 {
        return Err(SignatureError::Malformed("its length is not minimally encoded, which DER requires"));
    }
    Ok((tag, 2 + n, len))
}

/// Checks the bytes of a `.signature.p7s`.
pub fn check(bytes: &[u8]) -> Result<(), SignatureError> {
    if bytes.is_empty() {
        return Err(SignatureError::Empty);
    }
    let (tag, head, len) = header(bytes)?;
    if tag != 0x30 {
        return Err(SignatureError::Malformed("it does not start with a DER SEQUENCE"));
    }
    if head.checked_add(len) != Some(bytes.len()) {
        return Err(SignatureError::Malformed("its DER length does not match the file size"));
    }
    if !bytes[head..].starts_with(SIGNED_DATA_OID) {
        return Err(SignatureError::Malformed("it is not PKCS#7 signedData"));
    }
    Ok(())
}

/// Checks the package's signature file when it has one; `Ok(false)` for an unsigned package.
pub fn check_package<R: Read + Seek>(reader: R) -> Result<bool, SignatureError> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|_| SignatureError::Unreadable)?;
    let name = zip.file_names().find(|n| n.eq_ignore_ascii_case(SIGNATURE_FILE)).map(str::to_owned);
    let Some(name) = name else { return Ok(false) };
    let entry = zip.by_name(&name).map_err(|_| SignatureError::Unreadable)?;
    let mut bytes = Vec::new();
    entry.take(MAX_SIGNATURE_BYTES + 1).read_to_end(&mut bytes).map_err(|_| SignatureError::Unreadable)?;
    if bytes.len() as u64 > MAX_SIGNATURE_BYTES {
        return Err(SignatureError::TooLarge);
    }
    check(&bytes).map(|()| true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::nupkg_builder::zip_bytes;

    /// A DER tag-length-value with the minimal length encoding.
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let len = content.len();
        let mut out = vec![tag];
        if len < 0x80 {
            out.push(u8::try_from(len).unwrap());
        } else {
            let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|&b| b == 0).collect();
            out.push(0x80 | u8::try_from(bytes.len()).unwrap());
            out.extend(bytes);
        }
        out.extend_from_slice(content);
        out
    }

    /// A minimal signedData envelope: SEQUENCE { OID signedData, [0] { <content> } }.
    pub fn p7s(content_len: usize) -> Vec<u8> {
        tlv(0x30, &[SIGNED_DATA_OID.to_vec(), tlv(0xA0, &vec![0; content_len])].concat())
    }

    #[test]
    fn a_signed_data_envelope_is_well_formed() {
        assert_eq!(check(&p7s(300)), Ok(()));
        let short = [vec![0x30, 13], SIGNED_DATA_OID.to_vec(), vec![0x05, 0x00]].concat();
        assert_eq!(check(&short), Ok(()));
    }

    #[test]
    fn malformed_signatures_are_refused() {
        let good = p7s(300);
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![], "empty"),
            (b"sig".to_vec(), "does not start with a DER SEQUENCE"),
            (vec![0x30], "truncated"),
            (vec![0x30, 0x80, 0, 0], "indefinite length"),
            (vec![0x30, 0x81, 0x05, 1, 2, 3, 4, 5], "not minimally encoded"),
            (good[..good.len() - 1].to_vec(), "does not match the file size"),
            ([good.clone(), vec![0]].concat(), "does not match the file size"),
            ([vec![0x30, 3], vec![0x02, 0x01, 0x00]].concat(), "not PKCS#7 signedData"),
        ];
        for (bytes, why) in cases {
            let err = check(&bytes).unwrap_err().to_string();
            assert!(err.contains(why), "{bytes:?}: {err}");
        }
    }

    #[test]
    fn the_package_entry_is_found_and_checked() {
        let unsigned = zip_bytes(&[("a.nuspec", b"x".as_slice())]);
        assert_eq!(check_package(std::io::Cursor::new(unsigned)), Ok(false));
        let signed = zip_bytes(&[("a.nuspec", b"x".as_slice()), (".signature.p7s", &p7s(10))]);
        assert_eq!(check_package(std::io::Cursor::new(signed)), Ok(true));
        let bad = zip_bytes(&[("a.nuspec", b"x".as_slice()), (".SIGNATURE.P7S", b"")]);
        assert_eq!(check_package(std::io::Cursor::new(bad)), Err(SignatureError::Empty));
    }
}

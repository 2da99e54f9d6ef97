//! The pack format: what is written is read back byte for byte, and a pack that is not what was
//! written (truncated, flipped bytes, another file) is refused, never read as documents.
use super::pack::{self, PackError, Storage};
use flate2::{read::GzDecoder, write::DeflateEncoder, Compression};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const INDEX: &[u8] = br#"{"versions":["1.0.0","2.0.0-beta"],"note":"repeated repeated repeated repeated"}"#;

fn documents() -> Vec<(String, Vec<u8>, Storage)> {
    vec![
        ("registration/index.json".to_owned(), INDEX.to_vec(), Storage::Plain),
        ("flat.json".to_owned(), br#"{"versions":["1.0.0"]}"#.to_vec(), Storage::Plain),
        ("registration-gz/index.json.gz".to_owned(), INDEX.to_vec(), Storage::Gzip),
        ("meta.json".to_owned(), Vec::new(), Storage::Plain),
    ]
}

/// What a document is served as: its bytes, gzip-compressed for a `Gzip` entry.
fn served(bytes: &[u8], storage: Storage) -> Vec<u8> {
    if storage == Storage::Gzip {
        pack_gzip(bytes)
    } else {
        bytes.to_vec()
    }
}

fn pack_gzip(json: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(json).unwrap();
    enc.finish().unwrap()
}

fn write(dir: &Path, documents: &[(String, Vec<u8>, Storage)]) -> PathBuf {
    let entries: Vec<(String, &[u8], Storage)> =
        documents.iter().map(|(n, b, s)| (n.clone(), b.as_slice(), *s)).collect();
    let path = dir.join("g.pack");
    std::fs::write(&path, pack::build(&entries).unwrap()).unwrap();
    path
}

/// Every document read back through a fresh table, or the first error.
fn read_all(path: &Path) -> Result<Vec<(String, Vec<u8>)>, PackError> {
    let table = pack::open(path)?;
    let mut out = Vec::new();
    for (name, _, _) in documents() {
        let entry = table.get(&name).expect("every document has an entry");
        out.push((name, pack::read(path, entry)?.to_vec()));
    }
    Ok(out)
}

fn expected() -> Vec<(String, Vec<u8>)> {
    documents().into_iter().map(|(n, b, s)| (n, served(&b, s))).collect()
}

#[test]
fn every_document_reads_back_as_served_whether_plain_or_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &documents());
    let table = pack::open(&path).unwrap();
    assert!(documents().iter().all(|(name, _, _)| table.get(name).is_some()));
    assert!(table.get("registration/1.0.0.json").is_none());
    assert_eq!(read_all(&path).unwrap(), expected());
    let mut unzipped = String::new();
    GzDecoder::new(read_all(&path).unwrap()[2].1.as_slice()).read_to_string(&mut unzipped).unwrap();
    assert_eq!(unzipped.as_bytes(), INDEX);
    // The table and one entry from one read, as a set is loaded.
    let (same_table, gz) = pack::open_and_read(&path, "registration-gz/index.json.gz").unwrap();
    assert_eq!((same_table, gz.to_vec()), (table, pack_gzip(INDEX)));
    let missing = pack::open_and_read(&path, "registration/1.0.0.json").unwrap_err();
    assert_eq!(missing.to_string(), PackError::Table("no such entry").to_string());
    // One body for all: a document repeating another (the hives do) costs next to nothing.
    let size = std::fs::metadata(&path).unwrap().len();
    let mut without_copy = documents();
    without_copy.remove(2);
    let smaller = std::fs::metadata(write(dir.path(), &without_copy)).unwrap().len();
    assert!(size < smaller + 50 && size - smaller < INDEX.len() as u64 / 2, "{size} vs {smaller} bytes");
}

/// Format 1, as the release before format 2 wrote it (each entry on its own, deflated or as
/// served), from `(name, bytes as served, deflated)`.
fn build_format_1(documents: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let mut sorted = documents.to_vec();
    sorted.sort_by_key(|d| d.0);
    let stored: Vec<Vec<u8>> = sorted
        .iter()
        .map(|(_, bytes, deflated)| {
            if !*deflated {
                return bytes.to_vec();
            }
            let mut enc = DeflateEncoder::new(Vec::new(), Compression::fast());
            enc.write_all(bytes).unwrap();
            enc.finish().unwrap()
        })
        .collect();
    let table_len: usize = sorted.iter().map(|(name, _, _)| 2 + name.len() + 1 + 8 + 8 + 4).sum();
    let mut offset = (24 + table_len) as u64;
    let mut table = Vec::new();
    for ((name, _, deflated), bytes) in sorted.iter().zip(&stored) {
        table.extend_from_slice(&u16::try_from(name.len()).unwrap().to_le_bytes());
        table.extend_from_slice(name.as_bytes());
        table.push(u8::from(*deflated));
        table.extend_from_slice(&offset.to_le_bytes());
        table.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        table.extend_from_slice(&crc32fast::hash(bytes).to_le_bytes());
        offset += bytes.len() as u64;
    }
    let mut out = b"GALLEYPK".to_vec();
    let len = |n: usize| u32::try_from(n).unwrap();
    for n in [1, len(sorted.len()), len(table.len()), crc32fast::hash(&table)] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(&table);
    for bytes in &stored {
        out.extend_from_slice(bytes);
    }
    out
}

#[test]
fn packs_of_format_1_still_read_as_served() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.pack");
    let gz = pack_gzip(INDEX);
    let old = [("registration/index.json", INDEX, true), ("registration-gz/index.json.gz", gz.as_slice(), false)];
    std::fs::write(&path, build_format_1(&old)).unwrap();
    let table = pack::open(&path).unwrap();
    for (name, served, _) in old {
        assert_eq!(pack::read(&path, table.get(name).unwrap()).unwrap(), served, "{name}");
        assert_eq!(pack::open_and_read(&path, name).unwrap(), (table.clone(), bytes::Bytes::from(served.to_vec())));
    }
    // Damage in format 1 is still found.
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let err = pack::read(&path, table.get("registration/index.json").unwrap()).unwrap_err();
    assert_eq!(err.to_string(), "entry registration/index.json does not match its checksum");
}

#[test]
fn the_same_documents_make_the_same_bytes_in_any_order() {
    let mut reversed = documents();
    reversed.reverse();
    let entries = |docs: &[(String, Vec<u8>, Storage)]| {
        let e: Vec<(String, &[u8], Storage)> = docs.iter().map(|(n, b, s)| (n.clone(), b.as_slice(), *s)).collect();
        pack::build(&e).unwrap()
    };
    assert_eq!(entries(&documents()), entries(&reversed));
}

#[test]
fn two_documents_with_one_name_are_refused() {
    let mut docs = documents();
    docs.push(docs[0].clone());
    let entries: Vec<(String, &[u8], Storage)> = docs.iter().map(|(n, b, s)| (n.clone(), b.as_slice(), *s)).collect();
    assert_eq!(pack::build(&entries).unwrap_err().to_string(), "two documents of one pack have the same name");
}

#[test]
fn a_truncated_pack_is_refused_at_every_length() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &documents());
    let whole = std::fs::read(&path).unwrap();
    for len in 0..whole.len() {
        std::fs::write(&path, &whole[..len]).unwrap();
        let err = read_all(&path).expect_err("a truncated pack must not read");
        assert!(matches!(err, PackError::Body(_) | PackError::Table(_) | PackError::Magic), "at {len}: {err}");
    }
}

#[test]
fn a_table_loaded_before_the_pack_was_cut_reads_nothing_past_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &documents());
    let table = pack::open(&path).unwrap();
    let whole = std::fs::read(&path).unwrap();
    std::fs::write(&path, &whole[..whole.len() - 1]).unwrap();
    let err = pack::read(&path, table.get("registration/index.json").unwrap()).unwrap_err();
    assert_eq!(err.to_string(), "the pack's body is damaged: length differs from the file's");
}

#[test]
fn any_flipped_byte_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &documents());
    let whole = std::fs::read(&path).unwrap();
    for at in 0..whole.len() {
        let mut bytes = whole.clone();
        bytes[at] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();
        let err = read_all(&path).expect_err("a damaged pack must not read");
        assert!(!err.is_not_found(), "at {at}: {err}");
    }
}

#[test]
fn each_check_names_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &documents());
    let whole = std::fs::read(&path).unwrap();
    let damaged = |at: usize| {
        let mut bytes = whole.clone();
        bytes[at] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        read_all(&path).unwrap_err().to_string()
    };
    assert_eq!(damaged(0), "not a document pack (bad magic)");
    assert_eq!(damaged(8), "pack format version 3 is not supported");
    assert_eq!(damaged(20), "the pack's body is damaged: length differs from the file's");
    assert_eq!(damaged(24), "the pack's body is damaged: checksum mismatch");
    assert_eq!(damaged(whole.len() - 1), "the pack's body is damaged: checksum mismatch");
    // A body whose checksum matches but whose deflate stream ends early or is not one (only a
    // writer's bug makes these): refused, with the inflater left usable for the next read.
    let rewritten = |body: &[u8]| {
        let mut bytes = whole[..20].to_vec();
        bytes.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
        bytes.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
        bytes.extend_from_slice(body);
        std::fs::write(&path, &bytes).unwrap();
        read_all(&path).unwrap_err().to_string()
    };
    let stream = &whole[28..];
    assert_eq!(rewritten(&stream[..stream.len() / 2]), "the pack's body is damaged: does not inflate");
    assert_eq!(rewritten(&[0xff; 64]), "the pack's body is damaged: does not inflate");
    std::fs::write(&path, &whole).unwrap();
    assert_eq!(read_all(&path).unwrap(), expected());
    std::fs::write(&path, br#"{"generation":"abc","versions":["1.0.0"]}"#).unwrap();
    assert_eq!(read_all(&path).unwrap_err().to_string(), "not a document pack (bad magic)");
    std::fs::remove_file(&path).unwrap();
    assert!(read_all(&path).unwrap_err().is_not_found());
}

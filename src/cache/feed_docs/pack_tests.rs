//! The pack format: what is written is read back byte for byte, and a pack that is not what was
//! written (truncated, flipped bytes, another file) is refused, never read as documents.
use super::pack::{self, PackError, Storage};
use std::path::{Path, PathBuf};

fn documents() -> Vec<(String, Vec<u8>, Storage)> {
    let json = br#"{"versions":["1.0.0","2.0.0-beta"],"note":"repeated repeated repeated repeated"}"#.to_vec();
    vec![
        ("registration/index.json".to_owned(), json.clone(), Storage::Deflated),
        ("flat.json".to_owned(), br#"{"versions":["1.0.0"]}"#.to_vec(), Storage::Deflated),
        ("registration-gz/index.json.gz".to_owned(), vec![0x1f, 0x8b, 8, 0, 1, 2, 3], Storage::Plain),
        ("meta.json".to_owned(), Vec::new(), Storage::Plain),
    ]
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

#[test]
fn every_document_reads_back_as_written_whether_kept_plain_or_deflated() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &documents());
    let table = pack::open(&path).unwrap();
    assert!(documents().iter().all(|(name, _, _)| table.get(name).is_some()));
    assert!(table.get("registration/1.0.0.json").is_none());
    let expected: Vec<(String, Vec<u8>)> = documents().into_iter().map(|(n, b, _)| (n, b)).collect();
    assert_eq!(read_all(&path).unwrap(), expected);
    // The plain JSON is smaller on disk than as served.
    let index = table.get("registration/index.json").unwrap();
    assert!(index.len < documents()[0].1.len() as u64, "{index:?}");
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
        assert!(matches!(err, PackError::Table(_) | PackError::PastEnd(_)), "at {len}: {err}");
    }
}

#[test]
fn a_table_loaded_before_the_pack_was_cut_reads_nothing_past_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &documents());
    let table = pack::open(&path).unwrap();
    let whole = std::fs::read(&path).unwrap();
    std::fs::write(&path, &whole[..whole.len() - 1]).unwrap();
    // The entries are sorted by name, so the last one in the file is "registration/index.json".
    let err = pack::read(&path, table.get("registration/index.json").unwrap()).unwrap_err();
    assert_eq!(err.to_string(), "entry registration/index.json lies past the end of the pack");
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
    assert_eq!(damaged(8), "pack format version 0 is not supported");
    assert_eq!(damaged(30), "the pack's entry table is damaged: checksum mismatch");
    assert_eq!(damaged(whole.len() - 1), "entry registration/index.json does not match its checksum");
    std::fs::write(&path, br#"{"generation":"abc","versions":["1.0.0"]}"#).unwrap();
    assert_eq!(read_all(&path).unwrap_err().to_string(), "not a document pack (bad magic)");
    std::fs::remove_file(&path).unwrap();
    assert!(read_all(&path).unwrap_err().is_not_found());
}

//! The pack: every document of one generation of an id in one file, found by an offset table.
//!
//! One file per generation instead of one per document: a document of a few hundred bytes took a
//! whole 4 KB block, and an id with 5 versions took 24 files and folders, ~106 KB of disk; packed
//! (plain JSON deflated) it takes one pack and its folder, ~16 KB.
//!
//! Layout (integers little-endian):
//!
//! | bytes | what |
//! |---|---|
//! | 8 | magic `GALLEYPK` |
//! | 4 | format version (`1`) |
//! | 4 | entry count |
//! | 4 | length of the entry table that follows |
//! | 4 | CRC-32 of that table |
//! | … | the entry table: per entry, the name's length (2) and UTF-8 bytes, the storage (1: `0` the bytes as served, `1` deflated), the offset from the start of the file (8), the stored length (8), the CRC-32 of the stored bytes (4) |
//! | … | the stored bytes of every entry |
//!
//! A reader checks the magic, the version, the table's CRC and that every entry lies inside the
//! file before using the table, and an entry's CRC on every read: a pack torn by a power loss or
//! truncated is reported as [`PackError`], never served.
use bytes::Bytes;
use flate2::{read::DeflateDecoder, write::DeflateEncoder, Compression};
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

const MAGIC: &[u8; 8] = b"GALLEYPK";
const VERSION: u32 = 1;
/// Magic, version, count, table length, table CRC.
const HEADER_LEN: usize = 24;
/// A table larger than this is not one this code wrote (an id with 100k versions stays below it).
const MAX_TABLE_LEN: usize = 64 << 20;

/// How an entry's bytes are kept in the pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// The bytes as they are served (already gzip-compressed documents).
    Plain,
    /// Deflated on disk, inflated on read (plain JSON documents, which compress several times).
    Deflated,
}

impl Storage {
    fn code(self) -> u8 {
        match self {
            Storage::Plain => 0,
            Storage::Deflated => 1,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Storage::Plain),
            1 => Some(Storage::Deflated),
            _ => None,
        }
    }
}

/// Where one entry lies in its pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: Box<str>,
    pub storage: Storage,
    pub offset: u64,
    pub len: u64,
    pub crc: u32,
}

/// The offset table of a pack, sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    entries: Vec<Entry>,
}

impl Table {
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.binary_search_by(|e| (*e.name).cmp(name)).ok().map(|i| &self.entries[i])
    }
}

/// Why a pack cannot be used. Any of these means the file is not what a render wrote.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("reading the pack failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a document pack (bad magic)")]
    Magic,
    #[error("pack format version {0} is not supported")]
    Version(u32),
    #[error("the pack's entry table is damaged: {0}")]
    Table(&'static str),
    #[error("entry {0} lies past the end of the pack")]
    PastEnd(String),
    #[error("entry {0} does not match its checksum")]
    Checksum(String),
    /// A `CURRENT` file, not a link: the id was rendered by a version before packs.
    #[error("the documents are in the layout from before packs")]
    Unpacked,
}

impl PackError {
    /// The file is gone (a newer generation replaced it): not damage.
    pub fn is_not_found(&self) -> bool {
        matches!(self, PackError::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

/// Builds the bytes of a pack from `(name, bytes as served, storage)`.
pub fn build(documents: &[(String, &[u8], Storage)]) -> std::io::Result<Vec<u8>> {
    let mut stored: Vec<(&str, Storage, Vec<u8>)> = Vec::with_capacity(documents.len());
    for (name, bytes, storage) in documents {
        let kept = match storage {
            Storage::Plain => bytes.to_vec(),
            Storage::Deflated => {
                let mut enc = DeflateEncoder::new(Vec::new(), Compression::fast());
                enc.write_all(bytes)?;
                enc.finish()?
            }
        };
        stored.push((name, *storage, kept));
    }
    stored.sort_by(|a, b| a.0.cmp(b.0));
    if stored.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(std::io::Error::other("two documents of one pack have the same name"));
    }
    let table_len: usize = stored.iter().map(|(name, _, _)| 2 + name.len() + 1 + 8 + 8 + 4).sum();
    let mut offset = (HEADER_LEN + table_len) as u64;
    let mut table = Vec::with_capacity(table_len);
    for (name, storage, bytes) in &stored {
        let name_len = u16::try_from(name.len()).map_err(|_| std::io::Error::other("document name too long"))?;
        table.extend_from_slice(&name_len.to_le_bytes());
        table.extend_from_slice(name.as_bytes());
        table.push(storage.code());
        table.extend_from_slice(&offset.to_le_bytes());
        table.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        table.extend_from_slice(&crc32fast::hash(bytes).to_le_bytes());
        offset += bytes.len() as u64;
    }
    let count = u32::try_from(stored.len()).map_err(|_| std::io::Error::other("too many documents"))?;
    let table_len = u32::try_from(table.len()).map_err(|_| std::io::Error::other("entry table too large"))?;
    let mut out = Vec::with_capacity(usize::try_from(offset).unwrap_or(0));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&table_len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&table).to_le_bytes());
    out.extend_from_slice(&table);
    for (_, _, bytes) in &stored {
        out.extend_from_slice(bytes);
    }
    Ok(out)
}

/// Reads and checks the offset table of the pack at `path`.
pub fn open(path: &Path) -> Result<Table, PackError> {
    let file = std::fs::File::open(path)?;
    let file_len = file.metadata()?.len();
    let mut header = [0u8; HEADER_LEN];
    file.read_exact_at(&mut header, 0).map_err(|e| truncated_as_damage(e, "shorter than its header"))?;
    if &header[..8] != MAGIC {
        return Err(PackError::Magic);
    }
    let version = le_u32(&header[8..12]);
    if version != VERSION {
        return Err(PackError::Version(version));
    }
    let count = le_u32(&header[12..16]) as usize;
    let table_len = le_u32(&header[16..20]) as usize;
    if table_len > MAX_TABLE_LEN || (HEADER_LEN + table_len) as u64 > file_len {
        return Err(PackError::Table("longer than the file"));
    }
    let mut table = vec![0u8; table_len];
    file.read_exact_at(&mut table, HEADER_LEN as u64)?;
    if crc32fast::hash(&table) != le_u32(&header[20..24]) {
        return Err(PackError::Table("checksum mismatch"));
    }
    parse_table(&table, count, (HEADER_LEN + table_len) as u64, file_len)
}

fn parse_table(mut table: &[u8], count: usize, data_start: u64, file_len: u64) -> Result<Table, PackError> {
    let mut entries = Vec::with_capacity(count.min(table.len() / 23 + 1));
    for _ in 0..count {
        let name_len = usize::from(u16::from_le_bytes(take(&mut table, 2)?.try_into().unwrap_or_default()));
        let name = std::str::from_utf8(take(&mut table, name_len)?).map_err(|_| PackError::Table("name not UTF-8"))?;
        let storage = Storage::from_code(take(&mut table, 1)?[0]).ok_or(PackError::Table("unknown storage"))?;
        let offset = le_u64(take(&mut table, 8)?);
        let len = le_u64(take(&mut table, 8)?);
        let crc = le_u32(take(&mut table, 4)?);
        if offset < data_start || offset.checked_add(len).is_none_or(|end| end > file_len) {
            return Err(PackError::PastEnd(name.to_owned()));
        }
        entries.push(Entry { name: name.into(), storage, offset, len, crc });
    }
    if !table.is_empty() {
        return Err(PackError::Table("bytes after the last entry"));
    }
    if entries.windows(2).any(|w| w[0].name >= w[1].name) {
        return Err(PackError::Table("entries not sorted by name"));
    }
    Ok(Table { entries })
}

/// The bytes of `entry` as served, checked against its CRC.
pub fn read(path: &Path, entry: &Entry) -> Result<Bytes, PackError> {
    let file = std::fs::File::open(path)?;
    let len = usize::try_from(entry.len).map_err(|_| PackError::PastEnd(entry.name.to_string()))?;
    let mut stored = vec![0u8; len];
    file.read_exact_at(&mut stored, entry.offset).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => PackError::PastEnd(entry.name.to_string()),
        _ => PackError::Io(e),
    })?;
    if crc32fast::hash(&stored) != entry.crc {
        return Err(PackError::Checksum(entry.name.to_string()));
    }
    match entry.storage {
        Storage::Plain => Ok(Bytes::from(stored)),
        Storage::Deflated => {
            let mut served = Vec::with_capacity(len * 4);
            // The CRC matched, so a failure here is a bug in the writer, still not servable.
            DeflateDecoder::new(stored.as_slice())
                .read_to_end(&mut served)
                .map_err(|_| PackError::Checksum(entry.name.to_string()))?;
            Ok(Bytes::from(served))
        }
    }
}

fn truncated_as_damage(e: std::io::Error, what: &'static str) -> PackError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        PackError::Table(what)
    } else {
        PackError::Io(e)
    }
}

fn take<'a>(table: &mut &'a [u8], n: usize) -> Result<&'a [u8], PackError> {
    if table.len() < n {
        return Err(PackError::Table("ends inside an entry"));
    }
    let (head, rest) = table.split_at(n);
    *table = rest;
    Ok(head)
}

fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes(b.try_into().unwrap_or_default())
}

fn le_u64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b.try_into().unwrap_or_default())
}

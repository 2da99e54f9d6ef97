//! The pack: every document of one generation of an id in one file, found by an offset table.
//!
//! One file per generation instead of one per document: a document of a few hundred bytes took a
//! whole 4 KB block, and an id with 5 versions took 24 files and folders, ~106 KB of disk. Packed
//! with each document deflated on its own (format 1) it took one pack of ~10.5 KB (three blocks)
//! and its folder, ~16 KB. Format 2 deflates all of them as one body: an id's documents are the
//! same catalog entries over and over (three registration hives, an index and a leaf per version),
//! which one compression window finds, so the pack of a 5-version id is ~2.6 KB, one block.
//!
//! Format 2 (written; integers little-endian):
//!
//! | bytes | what |
//! |---|---|
//! | 8 | magic `GALLEYPK` |
//! | 4 | format version (`2`) |
//! | 4 | entry count |
//! | 4 | length of the entry table at the start of the inflated body |
//! | 4 | length of the deflated body that follows |
//! | 4 | CRC-32 of the deflated body |
//! | … | the deflated body; inflated: the entry table, then every entry's bytes |
//!
//! An entry of the table: the name's length (2) and UTF-8 bytes, the storage (1: `0` served as
//! kept, `2` kept as JSON and served gzip-compressed), the offset in the inflated body (8), the
//! length (8), the CRC-32 of the kept bytes (4).
//!
//! Format 1 (still read, so documents rendered before it keep serving until their id is rendered
//! again): the same header without the body's length and CRC, then the entry table's CRC; the
//! table as above with offsets from the start of the file and storage `0` (as served) or `1`
//! (deflated on its own); then the stored bytes of every entry.
//!
//! A reader checks the magic, the version, the body's (format 1: the table's) CRC and that every
//! entry lies inside what it read before using the table, and an entry's CRC on every read: a pack
//! torn by a power loss or truncated is reported as [`PackError`], never served.
use bytes::Bytes;
use flate2::{
    read::DeflateDecoder, write::DeflateEncoder, write::GzEncoder, Compression, Decompress, FlushDecompress, Status,
};
use std::cell::RefCell;
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

const MAGIC: &[u8; 8] = b"GALLEYPK";
/// The format written: one deflated body.
const VERSION: u32 = 2;
/// The format of packs rendered before, each entry deflated on its own: read, not written.
const VERSION_SEPARATE: u32 = 1;
/// Format 1's header: magic, version, count, table length, table CRC.
const HEADER_LEN_SEPARATE: usize = 24;
/// Magic, version, count, table length, body length, body CRC.
const HEADER_LEN: usize = 28;
/// A table larger than this is not one this code wrote (an id with 100k versions stays below it).
const MAX_TABLE_LEN: usize = 64 << 20;
/// An inflated body larger than this is not one this code wrote (a damaged length, or worse).
const MAX_BODY_LEN: u64 = 1 << 30;
/// Deflate level of the body: level 3 keeps a 5-version id in one 4 KB block (level 1 often does
/// not) at no more CPU per push than level 1 (measured on 40 KB of documents: 69 vs 90 µs).
const BODY_LEVEL: u32 = 3;

/// How an entry's bytes are kept in the pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// Served as kept.
    Plain,
    /// Format 1 only: deflated on its own, served inflated.
    Deflated,
    /// Kept as JSON in the body (where it compresses with the rest), served gzip-compressed: the
    /// gzip registration hives.
    Gzip,
}

impl Storage {
    fn code(self) -> u8 {
        match self {
            Storage::Plain => 0,
            Storage::Deflated => 1,
            Storage::Gzip => 2,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Storage::Plain),
            1 => Some(Storage::Deflated),
            2 => Some(Storage::Gzip),
            _ => None,
        }
    }
}

/// Where one entry lies in its pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: Box<str>,
    pub storage: Storage,
    /// In the inflated body (format 2), or from the start of the file (format 1).
    pub offset: u64,
    pub len: u64,
    pub crc: u32,
    /// The entry lies in a deflated body (format 2).
    in_body: bool,
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

    /// The memory the table takes: its entries and their names (what `[cache] ids_mb` counts).
    pub fn heap_bytes(&self) -> u64 {
        let names: usize = self.entries.iter().map(|e| super::memory::allocation(e.name.len())).sum();
        (self.entries.capacity() * std::mem::size_of::<Entry>() + names) as u64
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
    #[error("the pack's body is damaged: {0}")]
    Body(&'static str),
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

/// Builds the bytes of a pack (format 2) from `(name, bytes, storage)`: the bytes as served
/// (`Plain`) or the JSON a `Gzip` entry is served compressed from.
pub fn build(documents: &[(String, &[u8], Storage)]) -> std::io::Result<Vec<u8>> {
    let mut sorted: Vec<&(String, &[u8], Storage)> = documents.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    if sorted.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(std::io::Error::other("two documents of one pack have the same name"));
    }
    if sorted.iter().any(|(_, _, storage)| *storage == Storage::Deflated) {
        return Err(std::io::Error::other("format 1's deflated entries are read, not written"));
    }
    let table_len: usize = sorted.iter().map(|(name, _, _)| 2 + name.len() + 1 + 8 + 8 + 4).sum();
    let mut offset = table_len as u64;
    let mut table = Vec::with_capacity(table_len);
    for (name, bytes, storage) in &sorted {
        let name_len = u16::try_from(name.len()).map_err(|_| std::io::Error::other("document name too long"))?;
        table.extend_from_slice(&name_len.to_le_bytes());
        table.extend_from_slice(name.as_bytes());
        table.push(storage.code());
        table.extend_from_slice(&offset.to_le_bytes());
        table.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        table.extend_from_slice(&crc32fast::hash(bytes).to_le_bytes());
        offset += bytes.len() as u64;
    }
    let mut body = DeflateEncoder::new(Vec::new(), Compression::new(BODY_LEVEL));
    body.write_all(&table)?;
    for (_, bytes, _) in &sorted {
        body.write_all(bytes)?;
    }
    let body = body.finish()?;
    let too_large = |what| std::io::Error::other(format!("{what} too large for a pack"));
    let count = u32::try_from(sorted.len()).map_err(|_| too_large("document count"))?;
    let table_len = u32::try_from(table.len()).map_err(|_| too_large("entry table"))?;
    let body_len = u32::try_from(body.len()).map_err(|_| too_large("body"))?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&table_len.to_le_bytes());
    out.extend_from_slice(&body_len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// Reads and checks the offset table of the pack at `path`.
pub fn open(path: &Path) -> Result<Table, PackError> {
    let file = std::fs::File::open(path)?;
    match version(&file)? {
        VERSION => with_body(&file, body_table),
        _ => open_separate(&file),
    }
}

/// The offset table and the entry `name` as served, from one read of the file: format 2 inflates
/// the body once for both (a set loaded from disk needs its table and its description).
pub fn open_and_read(path: &Path, name: &str) -> Result<(Table, Bytes), PackError> {
    let file = std::fs::File::open(path)?;
    let missing = || PackError::Table("no such entry");
    if version(&file)? != VERSION {
        let table = open_separate(&file)?;
        let entry = table.get(name).ok_or_else(missing)?;
        let served = served(entry, stored_in_file(&file, entry)?)?;
        return Ok((table, served));
    }
    with_body(&file, |count, table_len, body| {
        let table = body_table(count, table_len, body)?;
        let entry = table.get(name).ok_or_else(missing)?;
        let served = served(entry, slice_of_body(body, entry)?.to_vec())?;
        Ok((table, served))
    })
}

/// The format version of an open pack, when it is one this code reads.
fn version(file: &std::fs::File) -> Result<u32, PackError> {
    let mut start = [0u8; 12];
    file.read_exact_at(&mut start, 0)
        .map_err(|e| truncated_as_damage(e, PackError::Table("shorter than its header")))?;
    if &start[..8] != MAGIC {
        return Err(PackError::Magic);
    }
    match le_u32(&start[8..12]) {
        version @ (VERSION | VERSION_SEPARATE) => Ok(version),
        other => Err(PackError::Version(other)),
    }
}

thread_local! {
    /// This thread's buffers for reading a format-2 pack (the deflated body, the inflated one and
    /// the inflater's state), kept from one read to the next. A fresh ~40 KB body and ~40 KB of
    /// inflater per read, freed while the small documents sliced from them stayed cached,
    /// fragmented glibc's heaps: 244 MB of RSS after every id of the 100k bench set was asked for
    /// once, 109 MB of it in use (after a `malloc_trim`).
    static BUFFERS: RefCell<Buffers> = RefCell::new(Buffers::default());
}

struct Buffers {
    deflated: Vec<u8>,
    body: Vec<u8>,
    inflater: Decompress,
}

impl Default for Buffers {
    fn default() -> Self {
        Self { deflated: Vec::new(), body: Vec::new(), inflater: Decompress::new(false) }
    }
}

/// A buffer grown past this by an unusually large pack is let go after its read.
const KEPT_BUFFER: usize = 1 << 20;

/// Calls `use_body` with format 2's entry count, table length and inflated body (its CRC
/// checked), inflated into this thread's buffer.
fn with_body<R>(
    file: &std::fs::File,
    use_body: impl FnOnce(usize, usize, &[u8]) -> Result<R, PackError>,
) -> Result<R, PackError> {
    BUFFERS.with(|buffers| {
        let Buffers { deflated, body, inflater } = &mut *buffers.borrow_mut();
        let read =
            read_body(file, deflated, body, inflater).and_then(|(count, table_len)| use_body(count, table_len, body));
        for buffer in [deflated, body] {
            if buffer.capacity() > KEPT_BUFFER {
                *buffer = Vec::new();
            }
        }
        read
    })
}

/// Inflates format 2's body into `body` (`deflated` holds it as read); its entry count and
/// table length.
fn read_body(
    file: &std::fs::File,
    deflated: &mut Vec<u8>,
    body: &mut Vec<u8>,
    inflater: &mut Decompress,
) -> Result<(usize, usize), PackError> {
    let mut header = [0u8; HEADER_LEN];
    file.read_exact_at(&mut header, 0)
        .map_err(|e| truncated_as_damage(e, PackError::Body("shorter than its header")))?;
    let count = le_u32(&header[12..16]) as usize;
    let table_len = le_u32(&header[16..20]) as usize;
    let body_len = le_u32(&header[20..24]) as usize;
    if HEADER_LEN as u64 + body_len as u64 != file.metadata()?.len() {
        return Err(PackError::Body("length differs from the file's"));
    }
    deflated.clear();
    deflated.resize(body_len, 0);
    file.read_exact_at(deflated, HEADER_LEN as u64)
        .map_err(|e| truncated_as_damage(e, PackError::Body("shorter than its length")))?;
    if crc32fast::hash(deflated) != le_u32(&header[24..28]) {
        return Err(PackError::Body("checksum mismatch"));
    }
    // The CRC matched, so a failure here is a bug in the writer, still not servable.
    inflate(inflater, deflated, body)?;
    if table_len > MAX_TABLE_LEN || table_len > body.len() {
        return Err(PackError::Table("longer than the body"));
    }
    Ok((count, table_len))
}

/// Format 2's table, at the start of the inflated body, its entries lying inside the body.
fn body_table(count: usize, table_len: usize, body: &[u8]) -> Result<Table, PackError> {
    parse_table(&body[..table_len], count, table_len as u64, body.len() as u64, true)
}

/// Inflates a whole raw deflate stream into `out`, reusing its capacity and `inflater`.
fn inflate(inflater: &mut Decompress, input: &[u8], out: &mut Vec<u8>) -> Result<(), PackError> {
    let damaged = PackError::Body("does not inflate");
    inflater.reset(false);
    out.clear();
    loop {
        if out.len() == out.capacity() {
            if out.len() as u64 >= MAX_BODY_LEN {
                return Err(damaged);
            }
            out.reserve(out.capacity().max(input.len() * 8).max(4096));
        }
        let (read, written) = (inflater.total_in(), out.len());
        let consumed = usize::try_from(read).unwrap_or(usize::MAX).min(input.len());
        match inflater.decompress_vec(&input[consumed..], out, FlushDecompress::Finish) {
            Ok(Status::StreamEnd) => return Ok(()),
            // Neither input taken nor output made while there was room: the stream ends early.
            Ok(_) if inflater.total_in() == read && out.len() == written && out.len() < out.capacity() => {
                return Err(damaged)
            }
            Ok(_) => {}
            Err(_) => return Err(damaged),
        }
    }
}

/// Format 1: the table from the file's head, its CRC checked.
fn open_separate(file: &std::fs::File) -> Result<Table, PackError> {
    let file_len = file.metadata()?.len();
    let mut header = [0u8; HEADER_LEN_SEPARATE];
    file.read_exact_at(&mut header, 0)
        .map_err(|e| truncated_as_damage(e, PackError::Table("shorter than its header")))?;
    let count = le_u32(&header[12..16]) as usize;
    let table_len = le_u32(&header[16..20]) as usize;
    if table_len > MAX_TABLE_LEN || (HEADER_LEN_SEPARATE + table_len) as u64 > file_len {
        return Err(PackError::Table("longer than the file"));
    }
    let mut table = vec![0u8; table_len];
    file.read_exact_at(&mut table, HEADER_LEN_SEPARATE as u64)?;
    if crc32fast::hash(&table) != le_u32(&header[20..24]) {
        return Err(PackError::Table("checksum mismatch"));
    }
    parse_table(&table, count, (HEADER_LEN_SEPARATE + table_len) as u64, file_len, false)
}

/// The entries of a table whose bytes lie between `data_start` and `data_end` (of the body, or
/// of the file).
fn parse_table(
    mut table: &[u8],
    count: usize,
    data_start: u64,
    data_end: u64,
    in_body: bool,
) -> Result<Table, PackError> {
    let mut entries = Vec::with_capacity(count.min(table.len() / 23 + 1));
    for _ in 0..count {
        let name_len = usize::from(u16::from_le_bytes(take(&mut table, 2)?.try_into().unwrap_or_default()));
        let name = std::str::from_utf8(take(&mut table, name_len)?).map_err(|_| PackError::Table("name not UTF-8"))?;
        let storage = Storage::from_code(take(&mut table, 1)?[0]).ok_or(PackError::Table("unknown storage"))?;
        let of_this_format = if in_body { storage != Storage::Deflated } else { storage != Storage::Gzip };
        if !of_this_format {
            return Err(PackError::Table("storage of another format"));
        }
        let offset = le_u64(take(&mut table, 8)?);
        let len = le_u64(take(&mut table, 8)?);
        let crc = le_u32(take(&mut table, 4)?);
        if offset < data_start || offset.checked_add(len).is_none_or(|end| end > data_end) {
            return Err(PackError::PastEnd(name.to_owned()));
        }
        entries.push(Entry { name: name.into(), storage, offset, len, crc, in_body });
    }
    if !table.is_empty() {
        return Err(PackError::Table("bytes after the last entry"));
    }
    if entries.windows(2).any(|w| w[0].name >= w[1].name) {
        return Err(PackError::Table("entries not sorted by name"));
    }
    Ok(Table { entries })
}

/// The bytes of `entry` as served, checked against its CRC. Format 2 inflates the whole body
/// (~40 KB for a 5-version id, tens of microseconds); what is served is kept in memory above this.
pub fn read(path: &Path, entry: &Entry) -> Result<Bytes, PackError> {
    let file = std::fs::File::open(path)?;
    let kept = if entry.in_body {
        // Generations are never rewritten, so this is a file put there by something else.
        if version(&file)? != VERSION {
            return Err(PackError::Table("of another format than when it was opened"));
        }
        with_body(&file, |_, _, body| Ok(slice_of_body(body, entry)?.to_vec()))?
    } else {
        stored_in_file(&file, entry)?
    };
    served(entry, kept)
}

/// Where `entry` lies in an inflated body (format 2).
fn slice_of_body<'a>(body: &'a [u8], entry: &Entry) -> Result<&'a [u8], PackError> {
    let past_end = || PackError::PastEnd(entry.name.to_string());
    let start = usize::try_from(entry.offset).map_err(|_| past_end())?;
    let end = start.checked_add(usize::try_from(entry.len).map_err(|_| past_end())?).ok_or_else(past_end)?;
    body.get(start..end).ok_or_else(past_end)
}

/// The bytes of `entry` as stored in the file (format 1).
fn stored_in_file(file: &std::fs::File, entry: &Entry) -> Result<Vec<u8>, PackError> {
    let len = usize::try_from(entry.len).map_err(|_| PackError::PastEnd(entry.name.to_string()))?;
    let mut stored = vec![0u8; len];
    file.read_exact_at(&mut stored, entry.offset).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => PackError::PastEnd(entry.name.to_string()),
        _ => PackError::Io(e),
    })?;
    Ok(stored)
}

/// The kept bytes of `entry`, checked against its CRC, as served: in an allocation of their own
/// length, since the memory cache weighs them by it (see `memory::exact`).
fn served(entry: &Entry, kept: Vec<u8>) -> Result<Bytes, PackError> {
    if crc32fast::hash(&kept) != entry.crc {
        return Err(PackError::Checksum(entry.name.to_string()));
    }
    let checksum = |_| PackError::Checksum(entry.name.to_string());
    let served = match entry.storage {
        Storage::Plain => kept,
        Storage::Deflated => {
            let mut served = Vec::with_capacity(kept.len() * 4);
            // The CRC matched, so a failure here is a bug in the writer, still not servable.
            DeflateDecoder::new(kept.as_slice()).read_to_end(&mut served).map_err(checksum)?;
            served
        }
        Storage::Gzip => gzip(&kept).map_err(checksum)?,
    };
    Ok(super::memory::exact(served))
}

/// Gzip as the hives were always served: the fast level (a registration index compresses within
/// 10% of level 6) and no time in the header, so the same JSON gives the same bytes.
fn gzip(json: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = GzEncoder::new(Vec::with_capacity(json.len() / 4), Compression::fast());
    enc.write_all(json)?;
    enc.finish()
}

fn truncated_as_damage(e: std::io::Error, damage: PackError) -> PackError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        damage
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

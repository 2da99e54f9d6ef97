//! The one builder of package bytes (`.nupkg`, `.snupkg`, plain zips, portable PDBs) for tests and
//! the load generator. Unit tests reach it as `crate::domain::nupkg_builder`; the integration
//! tests and `bench/galley_bench.rs` include this same file with `#[path]`, so it uses nothing
//! but `std` and `zip`, and nothing of the crate (a cargo feature would leave the bench binary
//! and the integration tests built with a different library than the server).
// Each includer uses a different part of it.
#![allow(dead_code)]

use std::io::{Cursor, Seek, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// Zip entries added one by one; deflated unless added with `stored`.
pub struct ZipBuilder<W: Write + Seek> {
    writer: ZipWriter<W>,
}

impl ZipBuilder<Cursor<Vec<u8>>> {
    pub fn new() -> Self {
        Self::into_writer(Cursor::new(Vec::new()))
    }

    pub fn bytes(self) -> Vec<u8> {
        self.finish().into_inner()
    }
}

impl<W: Write + Seek> ZipBuilder<W> {
    /// Writes straight into `writer` (a file, for packages too large to hold in memory).
    pub fn into_writer(writer: W) -> Self {
        Self { writer: ZipWriter::new(writer) }
    }

    pub fn file(self, name: &str, bytes: &[u8]) -> Self {
        self.add(name, bytes, CompressionMethod::Deflated)
    }

    /// An entry kept as is: random content that deflate could not shrink anyway.
    pub fn stored(self, name: &str, bytes: &[u8]) -> Self {
        self.add(name, bytes, CompressionMethod::Stored)
    }

    pub fn dir(mut self, name: &str) -> Self {
        self.writer.add_directory(name, options(CompressionMethod::Deflated)).unwrap();
        self
    }

    pub fn finish(self) -> W {
        self.writer.finish().unwrap()
    }

    fn add(mut self, name: &str, bytes: &[u8], method: CompressionMethod) -> Self {
        self.writer.start_file(name, options(method)).unwrap();
        self.writer.write_all(bytes).unwrap();
        self
    }
}

/// A fixed time stamp (1980-01-01), so the same entries give the same bytes and golden documents
/// can show a package's hash.
fn options(method: CompressionMethod) -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(method).last_modified_time(DateTime::default())
}

/// A zip of exactly these entries, deflated; names ending in `/` become directory entries.
pub fn zip_bytes<N: AsRef<str>>(entries: &[(N, &[u8])]) -> Vec<u8> {
    entries
        .iter()
        .fold(ZipBuilder::new(), |zip, (name, bytes)| {
            let name = name.as_ref();
            if name.ends_with('/') {
                zip.dir(name)
            } else {
                zip.file(name, bytes)
            }
        })
        .bytes()
}

/// A valid manifest with the required elements and the given extra `<metadata>` children.
pub fn nuspec(id: &str, version: &str, extra_metadata: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>{id}</id>
    <version>{version}</version>
    <authors>Test Author</authors>
    <description>Description of {id}</description>
    {extra_metadata}
  </metadata>
</package>"#
    )
}

/// A package holding `nuspec_xml` as `{name}.nuspec` at the root, then `extra` entries.
pub fn nupkg_named(nuspec_xml: &str, name: &str, extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut entries: Vec<(String, &[u8])> = vec![(format!("{name}.nuspec"), nuspec_xml.as_bytes())];
    entries.extend(extra.iter().map(|(n, b)| ((*n).to_owned(), *b)));
    zip_bytes(&entries)
}

/// Like `nupkg_named`, the manifest named after the id in the XML (`package.nuspec` when none
/// can be spotted, so malformed manifests still make a package).
pub fn nupkg_bytes(nuspec_xml: &str, extra: &[(&str, &[u8])]) -> Vec<u8> {
    let id = nuspec_xml
        .split_once("<id>")
        .and_then(|(_, rest)| rest.split_once("</id>"))
        .map(|(id, _)| id.trim())
        .filter(|id| !id.is_empty() && !id.contains(['/', '\\']))
        .unwrap_or("package");
    nupkg_named(nuspec_xml, id, extra)
}

/// The smallest package restore accepts: a manifest and one empty library file.
pub fn nupkg(id: &str, version: &str) -> Vec<u8> {
    nupkg_extra(id, version, "")
}

pub fn nupkg_extra(id: &str, version: &str, extra_metadata: &str) -> Vec<u8> {
    nupkg_named(&nuspec(id, version, extra_metadata), id, &[("lib/net6.0/_._", b"")])
}

/// A portable PDB: a metadata root with one `#Pdb` stream whose 20-byte id (GUID and stamp) is `id`.
pub fn portable_pdb(id: &[u8; 20]) -> Vec<u8> {
    let mut b = b"BSJB\x01\x00\x01\x00\x00\x00\x00\x00".to_vec();
    b.extend(12u32.to_le_bytes());
    b.extend(b"PDB v1.0\0\0\0\0");
    b.extend([0, 0, 1, 0]);
    // The one stream header: offset 48 (right after these headers), size 32.
    b.extend(48u32.to_le_bytes());
    b.extend(32u32.to_le_bytes());
    b.extend(b"#Pdb\0\0\0\0");
    b.extend(id);
    b.extend([0u8; 12]);
    b
}

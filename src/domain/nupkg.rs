//! Owns opening a `.nupkg` (a zip archive), validating its structure and size limits, and
//! extracting what the server needs: the parsed manifest, entry names and the small files
//! (readme, icon, license) the manifest points at.
//!
//! Everything here treats the archive as hostile: paths are checked before any name is
//! trusted, declared sizes are checked before anything is decompressed, and then every entry
//! is inflated (to nowhere) and its bytes counted, because a zip can under-declare its sizes:
//! a package that a client would expand past the limit is refused whatever its headers say,
//! and a corrupt entry (bad CRC, unreadable method) is found at push, not at restore.
// "NuGet", "SemVer" and "UTF-8" in prose are product names, not code to backtick.

use std::collections::HashMap;
use std::io::{Read, Seek};

use base64::Engine as _;
use sha2::{Digest, Sha512};
use zip::ZipArchive;

use crate::domain::nuspec::{License, Nuspec, NuspecError};

/// Bounds on what a package may make the server hold or decompress.
#[derive(Debug, Clone)]
pub struct NupkgLimits {
    pub max_entries: usize,
    /// Sum of the uncompressed sizes of all entries.
    pub max_uncompressed_bytes: u64,
    pub max_nuspec_bytes: u64,
}

impl Default for NupkgLimits {
    fn default() -> Self {
        Self { max_entries: 20_000, max_uncompressed_bytes: 1 << 30, max_nuspec_bytes: 1 << 20 }
    }
}

/// A structurally valid package and the parts of it the server keeps.
#[derive(Debug, Clone)]
pub struct PackageArchive {
    pub nuspec: Nuspec,
    pub nuspec_bytes: Vec<u8>,
    /// The manifest's name as stored in the zip, e.g. `Foo.Bar.nuspec`.
    pub nuspec_file_name: String,
    /// Percent-decoded names of the file entries (directory entries are left out: they
    /// carry no content), in archive order.
    pub entries: Vec<String>,
    pub readme: Option<Vec<u8>>,
    pub icon: Option<Vec<u8>>,
    pub license_file: Option<Vec<u8>>,
    /// Whether a repository/author signature (`.signature.p7s`) is present at the root.
    pub is_signed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("the package is not a valid zip archive")]
    NotZip,
    #[error("the package has no .nuspec file at its root")]
    NoNuspec,
    #[error("the package has more than one .nuspec file at its root")]
    ManyNuspecs,
    #[error("the package contains an entry with an unsafe path: '{0}'")]
    UnsafePath(String),
    #[error("the package has more than {0} entries")]
    TooManyEntries(usize),
    #[error("the package expands to more than {0} bytes")]
    TooLargeExpanded(u64),
    #[error(
        "the package's entry '{0}' cannot be decompressed: it is corrupt or uses a compression method NuGet \
         clients cannot read"
    )]
    UnreadableEntry(String),
    #[error("the .nuspec file is larger than {0} bytes")]
    NuspecTooLarge(u64),
    #[error("the package's file named by <{element}> ('{path}') is missing")]
    MissingFile { element: &'static str, path: String },
    #[error(transparent)]
    Nuspec(#[from] NuspecError),
}

/// Opens and validates a package.
///
/// # Errors
/// Returns the first [`PackageError`] found. Read failures of the underlying reader are
/// reported as [`PackageError::NotZip`]: at this layer a truncated file and a failing
/// disk look the same, and both mean the package cannot be accepted.
pub fn read_package<R: Read + Seek>(reader: R, limits: &NupkgLimits) -> Result<PackageArchive, PackageError> {
    read_package_as(reader, limits, Nuspec::parse)
}

/// [`read_package`] with another manifest parser (a symbol package's, `Nuspec::parse_symbols`).
pub fn read_package_as<R: Read + Seek>(
    reader: R,
    limits: &NupkgLimits,
    parse_nuspec: fn(&[u8]) -> Result<Nuspec, NuspecError>,
) -> Result<PackageArchive, PackageError> {
    let mut zip = ZipArchive::new(reader).map_err(|_| PackageError::NotZip)?;
    if zip.len() > limits.max_entries {
        return Err(PackageError::TooManyEntries(limits.max_entries));
    }

    let mut entries = Vec::with_capacity(zip.len());
    // (archive index, decoded name) of file entries, for resolving <readme> etc.
    let mut files: Vec<(usize, String)> = Vec::with_capacity(zip.len());
    let mut declared_sizes: Vec<u64> = Vec::with_capacity(zip.len());
    let mut nuspec_index = None;
    let mut is_signed = false;
    let mut declared_total: u64 = 0;

    for index in 0..zip.len() {
        // by_index_raw reads the entry's metadata without setting up decompression, so
        // entries in methods this build cannot decompress are still listed and checked.
        let entry = zip.by_index_raw(index).map_err(|_| PackageError::NotZip)?;
        let raw = entry.name().to_owned();
        let decoded = percent_decode(&raw);
        if is_unsafe_path(&raw) || is_unsafe_path(&decoded) {
            return Err(PackageError::UnsafePath(raw));
        }
        declared_total = declared_total.saturating_add(entry.size());
        declared_sizes.push(entry.size());
        if declared_total > limits.max_uncompressed_bytes {
            return Err(PackageError::TooLargeExpanded(limits.max_uncompressed_bytes));
        }
        if entry.is_dir() {
            continue;
        }
        let at_root = !raw.contains(['/', '\\']);
        if at_root && has_extension(&raw, ".nuspec") {
            if nuspec_index.is_some() {
                return Err(PackageError::ManyNuspecs);
            }
            nuspec_index = Some(index);
        }
        if at_root && raw.eq_ignore_ascii_case(".signature.p7s") {
            is_signed = true;
        }
        entries.push(decoded.clone());
        files.push((index, decoded));
    }

    let nuspec_index = nuspec_index.ok_or(PackageError::NoNuspec)?;
    let mut reader = BudgetedReader {
        zip: &mut zip,
        declared_sizes,
        expanded: declared_total,
        limit: limits.max_uncompressed_bytes,
        cache: HashMap::new(),
    };

    if reader.declared_sizes[nuspec_index] > limits.max_nuspec_bytes {
        return Err(PackageError::NuspecTooLarge(limits.max_nuspec_bytes));
    }
    let nuspec_bytes = reader.read(nuspec_index, Some(limits.max_nuspec_bytes))?;
    let nuspec = parse_nuspec(&nuspec_bytes)?;

    let mut fetch = |element: &'static str, path: Option<&str>| {
        let Some(path) = path else {
            return Ok(None);
        };
        let index =
            find_file(&files, path).ok_or_else(|| PackageError::MissingFile { element, path: path.to_owned() })?;
        reader.read(index, None).map(Some)
    };
    let readme = fetch("readme", nuspec.readme.as_deref())?;
    let icon = fetch("icon", nuspec.icon.as_deref())?;
    let license_path = match &nuspec.license {
        Some(License::File(path)) => Some(path.as_str()),
        _ => None,
    };
    let license_file = fetch("license", license_path)?;
    for (index, name) in &files {
        reader.inflate(*index, name)?;
    }

    let nuspec_file_name = zip.name_for_index(nuspec_index).unwrap_or_default().to_owned();
    Ok(PackageArchive { nuspec, nuspec_bytes, nuspec_file_name, entries, readme, icon, license_file, is_signed })
}

/// nuget.org's `PackageHash`: SHA-512 of the whole `.nupkg`, standard base64 with padding.
///
/// # Errors
/// Propagates read errors from `reader`.
pub fn sha512_base64<R: Read>(mut reader: R) -> std::io::Result<String> {
    let mut hasher = Sha512::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(hasher.finalize()))
}

/// Reads entries while keeping a running estimate of the package's expanded size: the
/// declared total, corrected by the actual size of each entry once it has been read.
/// Each read is capped so that the estimate can never pass the limit, which means a zip
/// that under-declares an entry cannot make us hold more than the limit in memory.
struct BudgetedReader<'a, R> {
    zip: &'a mut ZipArchive<R>,
    declared_sizes: Vec<u64>,
    expanded: u64,
    limit: u64,
    /// Entries already read (the same file may be both readme and license, say), so they
    /// are neither decompressed nor counted twice.
    cache: HashMap<usize, Vec<u8>>,
}

impl<R: Read + Seek> BudgetedReader<'_, R> {
    /// Reads entry `index` fully. `own_limit` is a tighter per-entry cap (the nuspec's);
    /// exceeding it yields `NuspecTooLarge`, exceeding the package budget `TooLargeExpanded`.
    fn read(&mut self, index: usize, own_limit: Option<u64>) -> Result<Vec<u8>, PackageError> {
        if let Some(bytes) = self.cache.get(&index) {
            return Ok(bytes.clone());
        }
        let declared = self.declared_sizes[index];
        // What this entry may expand to before the package as a whole is over the limit.
        let budget = self.limit - (self.expanded - declared);
        let cap = own_limit.map_or(budget, |own| own.min(budget));

        let entry = self.zip.by_index(index).map_err(|_| PackageError::NotZip)?;
        let mut bytes = Vec::new();
        // Reading one byte past the cap is how an over-long entry is detected.
        entry.take(cap.saturating_add(1)).read_to_end(&mut bytes).map_err(|_| PackageError::NotZip)?;
        let actual = bytes.len() as u64;
        if actual > cap {
            return Err(match own_limit {
                Some(own) if actual > own => PackageError::NuspecTooLarge(own),
                _ => PackageError::TooLargeExpanded(self.limit),
            });
        }
        self.expanded = self.expanded - declared + actual;
        self.declared_sizes[index] = actual;
        self.cache.insert(index, bytes.clone());
        Ok(bytes)
    }

    /// Decompresses entry `index` without keeping it, counting what it really expands to.
    fn inflate(&mut self, index: usize, name: &str) -> Result<(), PackageError> {
        if self.cache.contains_key(&index) {
            return Ok(());
        }
        let declared = self.declared_sizes[index];
        let budget = self.limit - (self.expanded - declared);
        let unreadable = || PackageError::UnreadableEntry(name.to_owned());
        let entry = self.zip.by_index(index).map_err(|_| unreadable())?;
        let actual =
            std::io::copy(&mut entry.take(budget.saturating_add(1)), &mut std::io::sink()).map_err(|_| unreadable())?;
        if actual > budget {
            return Err(PackageError::TooLargeExpanded(self.limit));
        }
        self.expanded = self.expanded - declared + actual;
        self.declared_sizes[index] = actual;
        Ok(())
    }
}

/// Finds the entry a manifest path refers to. Manifests written on Windows use `\`, zips
/// use `/`, and authors sometimes prefix `./`. An exact match wins; otherwise a
/// case-insensitive one is accepted, since packages built on Windows routinely differ in
/// case between the manifest and the file system.
fn find_file(files: &[(usize, String)], path: &str) -> Option<usize> {
    let normalize = |p: &str| {
        let p = p.replace('\\', "/");
        p.strip_prefix("./").unwrap_or(&p).to_owned()
    };
    let wanted = normalize(path);
    files
        .iter()
        .find(|(_, name)| normalize(name) == wanted)
        .or_else(|| files.iter().find(|(_, name)| normalize(name).eq_ignore_ascii_case(&wanted)))
        .map(|(index, _)| *index)
}

pub(crate) fn has_extension(name: &str, ext: &str) -> bool {
    name.len() >= ext.len() && name.get(name.len() - ext.len()..).is_some_and(|tail| tail.eq_ignore_ascii_case(ext))
}

/// A path that could escape an extraction directory or confuse tools that treat names
/// as paths: NUL, absolute (Unix, Windows root-relative, or drive-qualified), or with a
/// `..` segment under either separator.
fn is_unsafe_path(name: &str) -> bool {
    let bytes = name.as_bytes();
    name.contains('\0')
        || name.starts_with(['/', '\\'])
        || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
        || name.split(['/', '\\']).any(|segment| segment == "..")
}

/// Decodes `%XX` escapes the way NuGet's packing writes them (`%2B` for `+`, `%20` for a
/// space, …). Malformed escapes are kept literally; if the result is not UTF-8 the raw
/// name is kept, as it is then the most faithful thing to show.
pub(crate) fn percent_decode(name: &str) -> String {
    if !name.contains('%') {
        return name.to_owned();
    }
    let hex = |b: u8| char::from(b).to_digit(16);
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                // hi and lo are < 16, so the byte cannot overflow.
                #[allow(clippy::cast_possible_truncation)]
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| name.to_owned())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::domain::nupkg_builder::{nupkg_bytes, nuspec, zip_bytes};

    fn read(bytes: &[u8]) -> Result<PackageArchive, PackageError> {
        read_package(Cursor::new(bytes), &NupkgLimits::default())
    }

    fn read_with(bytes: &[u8], limits: &NupkgLimits) -> Result<PackageArchive, PackageError> {
        read_package(Cursor::new(bytes), limits)
    }

    fn err(bytes: &[u8]) -> PackageError {
        read(bytes).expect_err("the package should be rejected")
    }

    fn nuspec_with(extra_metadata: &str) -> String {
        nuspec("Foo", "1.0.0", extra_metadata)
    }

    /// Rewrites the uncompressed size recorded for `name` in both its local header and its
    /// central-directory record, producing a zip that lies about how big the entry is.
    fn patch_declared_size(zip: &mut [u8], name: &str, size: u32) {
        let name = name.as_bytes();
        let le16 = |z: &[u8], at: usize| usize::from(u16::from_le_bytes([z[at], z[at + 1]]));
        let mut patched = 0;
        for i in 0..zip.len().saturating_sub(4) {
            let (size_at, name_len_at, name_at) = match &zip[i..i + 4] {
                b"PK\x03\x04" => (i + 22, i + 26, i + 30),
                b"PK\x01\x02" => (i + 24, i + 28, i + 46),
                _ => continue,
            };
            if name_at + name.len() <= zip.len()
                && le16(zip, name_len_at) == name.len()
                && &zip[name_at..name_at + name.len()] == name
            {
                zip[size_at..size_at + 4].copy_from_slice(&size.to_le_bytes());
                patched += 1;
            }
        }
        assert_eq!(patched, 2, "expected one local and one central header");
    }

    #[test]
    fn minimal_package_reads() {
        let pkg = read(&nupkg_bytes(&nuspec("Foo.Bar", "1.0.0", ""), &[])).unwrap();
        assert_eq!(pkg.nuspec.id.as_str(), "Foo.Bar");
        assert_eq!(pkg.nuspec_file_name, "Foo.Bar.nuspec");
        assert_eq!(pkg.nuspec_bytes, nuspec("Foo.Bar", "1.0.0", "").as_bytes());
        assert_eq!(pkg.entries, ["Foo.Bar.nuspec"]);
        assert!(!pkg.is_signed);
        assert_eq!((pkg.readme, pkg.icon, pkg.license_file), (None, None, None));
    }

    #[test]
    fn opc_parts_directories_and_signature_are_normal() {
        let bytes = nupkg_bytes(
            &nuspec("Foo", "1.0.0", ""),
            &[
                ("_rels/.rels", b"<Relationships/>"),
                ("[Content_Types].xml", b"<Types/>"),
                ("package/services/metadata/core-properties/x.psmdcp", b"<x/>"),
                ("lib/", b""),
                ("lib/net8.0/Foo.dll", b"MZ"),
                ("lib/net8.0/Foo.nuspec", b"not the manifest"),
                (".signature.p7s", b"sig"),
            ],
        );
        let pkg = read(&bytes).unwrap();
        assert!(pkg.is_signed);
        assert_eq!(
            pkg.entries,
            [
                "Foo.nuspec",
                "_rels/.rels",
                "[Content_Types].xml",
                "package/services/metadata/core-properties/x.psmdcp",
                "lib/net8.0/Foo.dll",
                "lib/net8.0/Foo.nuspec",
                ".signature.p7s",
            ]
        );
    }

    #[test]
    fn nuspec_extension_is_case_insensitive() {
        let bytes = zip_bytes(&[("Foo.NuSpec", nuspec("Foo", "1.0", "").as_bytes())]);
        assert_eq!(read(&bytes).unwrap().nuspec_file_name, "Foo.NuSpec");
    }

    #[test]
    fn percent_encoded_names_are_decoded() {
        let bytes = nupkg_bytes(
            &nuspec("Foo", "1.0.0", ""),
            &[("lib/net8.0/C%2B%2B.dll", b"x"), ("content/a%20b%zz%2.txt", b"y")],
        );
        let pkg = read(&bytes).unwrap();
        assert_eq!(pkg.entries[1..], ["lib/net8.0/C++.dll", "content/a b%zz%2.txt"]);
    }

    #[test]
    fn readme_icon_and_license_bytes_are_picked_up() {
        let nuspec = nuspec_with(
            r#"<readme>docs\README.md</readme><icon>./images/Icon.PNG</icon><license type="file">LICENSE.txt</license>"#,
        );
        let bytes = nupkg_bytes(
            &nuspec,
            &[("docs/README.md", b"# Hello"), ("images/icon.png", b"\x89PNG"), ("LICENSE.txt", b"MIT License")],
        );
        let pkg = read(&bytes).unwrap();
        assert_eq!(pkg.readme.as_deref(), Some(&b"# Hello"[..]));
        assert_eq!(pkg.icon.as_deref(), Some(&b"\x89PNG"[..]));
        assert_eq!(pkg.license_file.as_deref(), Some(&b"MIT License"[..]));
    }

    #[test]
    fn license_expression_needs_no_file() {
        let bytes = nupkg_bytes(&nuspec_with(r#"<license type="expression">MIT</license>"#), &[]);
        let pkg = read(&bytes).unwrap();
        assert_eq!(pkg.nuspec.license, Some(License::Expression("MIT".into())));
        assert_eq!(pkg.license_file, None);
    }

    #[test]
    fn same_file_for_readme_and_license_is_counted_once() {
        let nuspec = nuspec_with(r#"<readme>DOC.md</readme><license type="file">DOC.md</license>"#);
        let bytes = nupkg_bytes(&nuspec, &[("DOC.md", &[b'a'; 600])]);
        let limits = NupkgLimits { max_uncompressed_bytes: nuspec.len() as u64 + 600, ..NupkgLimits::default() };
        let pkg = read_with(&bytes, &limits).unwrap();
        assert_eq!(pkg.readme, pkg.license_file);
    }

    #[test]
    fn sha512_of_known_bytes() {
        assert_eq!(
            sha512_base64(&b"abc"[..]).unwrap(),
            "3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw=="
        );
        // Longer than one read buffer, to exercise the loop.
        let big = vec![7u8; 200_000];
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha512::digest(&big));
        assert_eq!(sha512_base64(&big[..]).unwrap(), expected);
    }

    #[test]
    fn error_not_zip() {
        for bytes in [&b""[..], b"this is definitely not a zip archive at all", b"PK\x03\x04garbage"] {
            let e = err(bytes);
            assert!(matches!(e, PackageError::NotZip), "{e:?}");
            assert_eq!(e.to_string(), "the package is not a valid zip archive");
        }
    }

    #[test]
    fn error_no_nuspec() {
        let e = err(&zip_bytes(&[("readme.md", &b"x"[..])]));
        assert_eq!(e.to_string(), "the package has no .nuspec file at its root");
        // A manifest in a subfolder does not count.
        let nested = zip_bytes(&[("sub/Foo.nuspec", nuspec("Foo", "1.0", "").as_bytes())]);
        assert!(matches!(err(&nested), PackageError::NoNuspec));
        // Nor does a directory entry whose name happens to end in .nuspec.
        let dir = zip_bytes(&[("odd.nuspec/", &b""[..])]);
        assert!(matches!(err(&dir), PackageError::NoNuspec));
    }

    #[test]
    fn error_many_nuspecs() {
        let e = err(&nupkg_bytes(
            &nuspec("Foo", "1.0.0", ""),
            &[("Other.nuspec", nuspec("Other", "1.0.0", "").as_bytes())],
        ));
        assert_eq!(e.to_string(), "the package has more than one .nuspec file at its root");
    }

    #[test]
    fn error_unsafe_paths() {
        for name in [
            "../evil.txt",
            "lib/../../evil.txt",
            "lib\\..\\evil.txt",
            "/abs.txt",
            "\\abs.txt",
            "C:\\x.dll",
            "C:/x.dll",
            "%2E%2E/evil.txt",
            "lib/a%00b.dll",
        ] {
            let e = err(&nupkg_bytes(&nuspec("Foo", "1.0.0", ""), &[(name, b"x")]));
            assert_eq!(e.to_string(), format!("the package contains an entry with an unsafe path: '{name}'"));
        }
    }

    #[test]
    fn dotted_names_that_are_not_parent_segments_are_fine() {
        let pkg =
            read(&nupkg_bytes(&nuspec("Foo", "1.0.0", ""), &[("content/..hidden", b"x"), ("content/a..b/c", b"y")]))
                .unwrap();
        assert_eq!(pkg.entries.len(), 3);
    }

    #[test]
    fn error_too_many_entries() {
        let bytes = nupkg_bytes(&nuspec("Foo", "1.0.0", ""), &[("a", b"1"), ("b", b"2"), ("c", b"3")]);
        let limits = NupkgLimits { max_entries: 3, ..NupkgLimits::default() };
        let e = read_with(&bytes, &limits).unwrap_err();
        assert_eq!(e.to_string(), "the package has more than 3 entries");
        assert!(read_with(&bytes, &NupkgLimits { max_entries: 4, ..limits }).is_ok());
    }

    #[test]
    fn error_declared_size_over_limit() {
        // 100 KB of zeros deflates to a few hundred bytes: a small bomb.
        let zeros = vec![0u8; 100_000];
        let bytes = nupkg_bytes(&nuspec("Foo", "1.0.0", ""), &[("bomb.bin", &zeros)]);
        assert!(bytes.len() < 2_000);
        let limits = NupkgLimits { max_uncompressed_bytes: 50_000, ..NupkgLimits::default() };
        let e = read_with(&bytes, &limits).unwrap_err();
        assert_eq!(e.to_string(), "the package expands to more than 50000 bytes");
    }

    #[test]
    fn error_entry_lying_about_its_size() {
        // The readme declares 10 bytes but inflates to 100 KB; only reading reveals it.
        let nuspec = nuspec_with("<readme>README.md</readme>");
        let mut bytes = nupkg_bytes(&nuspec, &[("README.md", &vec![b'a'; 100_000])]);
        patch_declared_size(&mut bytes, "README.md", 10);
        let limits = NupkgLimits { max_uncompressed_bytes: 50_000, ..NupkgLimits::default() };
        let e = read_with(&bytes, &limits).unwrap_err();
        assert!(matches!(e, PackageError::TooLargeExpanded(50_000)), "{e:?}");
        assert_eq!(e.to_string(), "the package expands to more than 50000 bytes");
    }

    #[test]
    fn error_unreferenced_entry_lying_about_its_size() {
        // A zip bomb whose header claims 1,000 bytes: nothing in the manifest points at it, so
        // only inflating every entry at push reveals it.
        let mut bytes = nupkg_bytes(&nuspec("Foo", "1.0.0", ""), &[("content/zeros.bin", &vec![0; 200_000])]);
        assert!(bytes.len() < 2_000);
        patch_declared_size(&mut bytes, "content/zeros.bin", 1_000);
        let limits = NupkgLimits { max_uncompressed_bytes: 50_000, ..NupkgLimits::default() };
        let e = read_with(&bytes, &limits).unwrap_err();
        assert_eq!(e.to_string(), "the package expands to more than 50000 bytes");
        // Under the limit, the same lie is harmless and the package reads.
        let roomy = NupkgLimits { max_uncompressed_bytes: 300_000, ..NupkgLimits::default() };
        assert!(read_with(&bytes, &roomy).is_ok());
    }

    #[test]
    fn error_corrupt_entry() {
        // The recorded CRC-32 no longer matches the content: only a full read notices.
        let mut bytes = nupkg_bytes(&nuspec("Foo", "1.0.0", ""), &[("lib/a.txt", b"hello hello hello hello")]);
        let name = b"lib/a.txt";
        for (sig, crc_at, name_at) in [(b"PK\x03\x04", 14, 30), (b"PK\x01\x02", 16, 46)] {
            let at = (0..bytes.len() - name_at - name.len())
                .find(|&i| &bytes[i..i + 4] == sig && &bytes[i + name_at..i + name_at + name.len()] == name)
                .expect("header of lib/a.txt");
            bytes[at + crc_at] ^= 0xFF;
        }
        assert_eq!(
            err(&bytes).to_string(),
            "the package's entry 'lib/a.txt' cannot be decompressed: it is corrupt or uses a compression method \
             NuGet clients cannot read"
        );
    }

    #[test]
    fn error_nuspec_too_large() {
        let padding = format!("<!-- {} -->", "x".repeat(2_000));
        let nuspec = nuspec_with(&padding);
        let limits = NupkgLimits { max_nuspec_bytes: 1_000, ..NupkgLimits::default() };
        let e = read_with(&nupkg_bytes(&nuspec, &[]), &limits).unwrap_err();
        assert_eq!(e.to_string(), "the .nuspec file is larger than 1000 bytes");

        // Also when the manifest under-declares its size.
        let mut lying = nupkg_bytes(&nuspec, &[]);
        patch_declared_size(&mut lying, "Foo.nuspec", 100);
        let e = read_with(&lying, &limits).unwrap_err();
        assert!(matches!(e, PackageError::NuspecTooLarge(1_000)), "{e:?}");
    }

    #[test]
    fn error_missing_files() {
        for (element, xml) in [
            ("readme", "<readme>docs/README.md</readme>"),
            ("icon", "<icon>icon.png</icon>"),
            ("license", r#"<license type="file">LICENSE</license>"#),
        ] {
            let e = err(&nupkg_bytes(&nuspec_with(xml), &[]));
            let path = match element {
                "readme" => "docs/README.md",
                "icon" => "icon.png",
                _ => "LICENSE",
            };
            assert_eq!(e.to_string(), format!("the package's file named by <{element}> ('{path}') is missing"));
        }
    }

    #[test]
    fn error_nuspec_is_passed_through() {
        let e = err(&nupkg_bytes("not xml at all <", &[]));
        assert!(matches!(e, PackageError::Nuspec(NuspecError::Xml(_))), "{e:?}");
        assert!(e.to_string().starts_with("the .nuspec file is not well-formed XML: "));

        let bad_id = nuspec("bad id", "1.0.0", "");
        let e = err(&zip_bytes(&[("x.nuspec", bad_id.as_bytes())]));
        assert!(matches!(e, PackageError::Nuspec(NuspecError::InvalidId { .. })));

        let e = err(&nupkg_bytes(&nuspec("Foo", "1.0.0.0.0", ""), &[]));
        assert_eq!(e.to_string(), "'1.0.0.0.0' is not a valid version string");
    }
}

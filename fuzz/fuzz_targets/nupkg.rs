//! The package reader a push runs on the uploaded bytes before anything is stored: the zip, its
//! paths and size limits, the manifest, the files the manifest names, and the signature check.
//!
//! The first input byte picks the mode. Even: the rest is the upload itself, so the zip parser
//! sees arbitrary bytes. Odd: the rest describes entries that are written into a well-formed zip
//! (zip checksums make random bytes rarely get past the central directory), with a manifest whose
//! `<readme>`, `<icon>` and `<license>` point at fuzzed paths, which reaches the code after it.
#![no_main]

use std::io::{Cursor, Write};

use arbitrary::{Arbitrary, Unstructured};
use galley::domain::nupkg::{read_package, NupkgLimits, PackageArchive};
use galley::domain::nuspec::{License, Nuspec};
use galley::domain::signature;
use libfuzzer_sys::fuzz_target;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Small limits, so inputs of a few KB can reach every limit.
fn limits() -> NupkgLimits {
    NupkgLimits { max_entries: 64, max_uncompressed_bytes: 256 << 10, max_nuspec_bytes: 16 << 10 }
}

#[derive(Arbitrary, Debug)]
struct Entry {
    name: String,
    data: Vec<u8>,
    /// The data is written this many more times (capped): compressible, large entries.
    repeat: u16,
    deflate: bool,
}

#[derive(Arbitrary, Debug)]
struct Package {
    /// The manifest's entry name, `<id>.nuspec` when absent.
    nuspec_name: Option<String>,
    readme: Option<String>,
    icon: Option<String>,
    license_file: Option<String>,
    entries: Vec<Entry>,
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        let Ok(package) = Package::arbitrary_take_rest(Unstructured::new(rest)) else {
            return;
        };
        build(&package)
    };
    let limits = limits();
    let read = read_package(Cursor::new(&bytes), &limits);
    // `publish::inspect` checks the signature file of every package it accepts.
    let signed = signature::check_package(Cursor::new(&bytes));
    if let Ok(archive) = read {
        check(&archive, &limits);
        match signed {
            // Both readers must agree on whether there is a signature to check.
            Ok(signed) => assert_eq!(signed, archive.is_signed),
            Err(_) => assert!(archive.is_signed),
        }
    }
});

fn check(archive: &PackageArchive, limits: &NupkgLimits) {
    assert!(archive.nuspec_bytes.len() as u64 <= limits.max_nuspec_bytes);
    assert_eq!(Nuspec::parse(&archive.nuspec_bytes).as_ref(), Ok(&archive.nuspec));
    let name = &archive.nuspec_file_name;
    assert!(!name.contains(['/', '\\']) && name.to_ascii_lowercase().ends_with(".nuspec"), "{name:?}");

    assert!(archive.entries.len() <= limits.max_entries);
    for entry in &archive.entries {
        // Entry names end up in file listings and paths: none may escape or be absolute.
        let bytes = entry.as_bytes();
        let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
        let escapes = entry.split(['/', '\\']).any(|segment| segment == "..");
        assert!(!entry.contains('\0') && !entry.starts_with(['/', '\\']) && !drive && !escapes, "{entry:?}");
    }

    // Exactly the files the manifest names are extracted, each within the package budget.
    let nuspec = &archive.nuspec;
    assert_eq!(archive.readme.is_some(), nuspec.readme.is_some());
    assert_eq!(archive.icon.is_some(), nuspec.icon.is_some());
    assert_eq!(archive.license_file.is_some(), matches!(nuspec.license, Some(License::File(_))));
    for file in [&archive.readme, &archive.icon, &archive.license_file].into_iter().flatten() {
        assert!(file.len() as u64 <= limits.max_uncompressed_bytes);
    }
}

/// XML text with the five special characters escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

fn build(package: &Package) -> Vec<u8> {
    let element = |name: &str, value: &Option<String>, attrs: &str| {
        value.as_ref().map_or_else(String::new, |v| format!("<{name}{attrs}>{}</{name}>", escape(v)))
    };
    let nuspec = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata>
<id>Fuzz.Package</id><version>1.0.0</version><authors>Fuzz</authors><description>Fuzzed.</description>
{}{}{}</metadata></package>"#,
        element("readme", &package.readme, ""),
        element("icon", &package.icon, ""),
        element("license", &package.license_file, r#" type="file""#),
    );
    let nuspec_name = package.nuspec_name.clone().unwrap_or_else(|| "Fuzz.Package.nuspec".to_owned());

    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    // The writer refuses some names (duplicates, say); such entries are left out.
    if writer.start_file(nuspec_name, deflated).is_ok() {
        let _ = writer.write_all(nuspec.as_bytes());
    }
    // Up to just past the package budget in all, so the limits are reached without spending the
    // run on compressing megabytes.
    let mut left: usize = 320 << 10;
    for entry in package.entries.iter().take(80) {
        let options = if entry.deflate { deflated } else { stored };
        if writer.start_file(entry.name.as_str(), options).is_err() {
            continue;
        }
        let cap: usize = if entry.deflate { left } else { left.min(8 << 10) };
        let times = usize::from(entry.repeat).min(cap / entry.data.len().max(1));
        for _ in 0..=times {
            let _ = writer.write_all(&entry.data);
        }
        left = left.saturating_sub((times + 1) * entry.data.len());
    }
    writer.finish().map(Cursor::into_inner).unwrap_or_default()
}

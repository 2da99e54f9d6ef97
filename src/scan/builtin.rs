//! The `builtin` scanner: refuses the EICAR test file and SHA-256 hashes on a deny-list.
//!
//! It is NOT an antivirus. It exists so that a fresh install validates something and the whole
//! pipeline (refusal, quarantine, rescans, notices) can be exercised; production should use clamd.
//! Entries are streamed through a fixed-size buffer, so memory stays bounded whatever the package
//! size; nested archives (a zip inside the package) are spooled to a temp file and scanned too.
use super::{ScanOutcome, Scanner};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The EICAR anti-virus test file's body (eicar.org); every scanner detects it. Written in two
/// pieces so that this source file is not itself reported by a scanner on a developer's machine.
pub const EICAR: &[u8] =
    concat!(r"X5O!P%@AP[4\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*").as_bytes();
/// ClamAV's name for it, so that both scanners report the same thing.
pub const EICAR_NAME: &str = "Eicar-Signature";
const DENYLIST_NAME: &str = "Denylisted-SHA256";
const CHUNK: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct Limits {
    /// Decompressed bytes one scan may read across all nesting levels.
    pub max_bytes: u64,
    /// How deep archives inside archives are opened.
    pub max_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_bytes: 2 << 30, max_depth: 3 }
    }
}

pub struct BuiltinScanner {
    denylist: Option<PathBuf>,
    limits: Limits,
    tmp_dir: PathBuf,
}

type DenyList = HashMap<[u8; 32], String>;

impl BuiltinScanner {
    pub fn new(denylist: Option<PathBuf>, limits: Limits, tmp_dir: PathBuf) -> Self {
        Self { denylist, limits, tmp_dir }
    }

    /// Read on every scan: an operator who adds a hash expects the next rescan to use it, and the
    /// file is small. A configured list that cannot be read is an error, never "clean".
    fn load_denylist(&self) -> Result<DenyList, String> {
        let Some(path) = &self.denylist else {
            return Ok(DenyList::new());
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read the deny-list {}: {e}", path.display()))?;
        parse_denylist(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// One hex SHA-256 per line, optionally followed by the name to report; `#` starts a comment.
pub fn parse_denylist(text: &str) -> Result<DenyList, String> {
    let mut list = DenyList::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default();
        let mut words = line.split_whitespace();
        let Some(hash) = words.next() else { continue };
        let mut key = [0u8; 32];
        hex::decode_to_slice(hash, &mut key)
            .map_err(|_| format!("line {}: '{hash}' is not a SHA-256 hash (64 hex digits)", n + 1))?;
        let name = words.collect::<Vec<_>>().join(" ");
        list.insert(key, if name.is_empty() { DENYLIST_NAME.to_owned() } else { name });
    }
    Ok(list)
}

impl Scanner for BuiltinScanner {
    fn describe(&self) -> String {
        "builtin (EICAR and deny-list only; not an antivirus)".into()
    }

    fn scan(&self, path: &Path) -> ScanOutcome {
        let result = self.load_denylist().and_then(|deny| {
            let mut walk =
                Walk { deny: &deny, limits: &self.limits, tmp_dir: &self.tmp_dir, budget: self.limits.max_bytes };
            let mut file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
            // The whole file first: a deny-listed .nupkg is refused by its own hash.
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; CHUNK];
            loop {
                let n = file.read(&mut buf).map_err(|e| e.to_string())?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
            }
            if let Some(name) = deny.get(&<[u8; 32]>::from(hasher.finalize())) {
                return Ok(Some(name.clone()));
            }
            file.rewind().map_err(|e| e.to_string())?;
            walk.archive(file, 0)
        });
        match result {
            Ok(None) => ScanOutcome::Clean,
            Ok(Some(signature)) => ScanOutcome::Infected { signature },
            Err(message) => ScanOutcome::Error(message),
        }
    }
}

struct Walk<'a> {
    deny: &'a DenyList,
    limits: &'a Limits,
    tmp_dir: &'a Path,
    /// Decompressed bytes still allowed.
    budget: u64,
}

impl Walk<'_> {
    /// Scans every entry of a zip; returns the first signature found.
    fn archive<R: Read + Seek>(&mut self, reader: R, depth: u32) -> Result<Option<String>, String> {
        let mut zip = zip::ZipArchive::new(reader).map_err(|e| format!("not a readable zip archive: {e}"))?;
        for index in 0..zip.len() {
            let mut entry = zip.by_index(index).map_err(|e| format!("cannot read entry {index}: {e}"))?;
            if entry.is_dir() {
                continue;
            }
            let name = entry.name().to_owned();
            if let Some(found) = self.entry(&mut entry, &name, depth)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// Streams one entry: EICAR search across chunk boundaries, SHA-256, and a spool to a temp
    /// file when the entry is itself a zip that may be opened.
    fn entry(&mut self, entry: &mut impl Read, name: &str, depth: u32) -> Result<Option<String>, String> {
        let mut hasher = Sha256::new();
        let mut window: Vec<u8> = Vec::with_capacity(CHUNK + EICAR.len());
        let mut buf = vec![0u8; CHUNK];
        let mut spool: Option<File> = None;
        let mut first = true;
        loop {
            let n = entry.read(&mut buf).map_err(|e| format!("cannot read '{name}': {e}"))?;
            if n == 0 {
                break;
            }
            self.budget = self.budget.checked_sub(n as u64).ok_or_else(|| {
                format!("the package expands beyond the scan limit of {} MB", self.limits.max_bytes >> 20)
            })?;
            let chunk = &buf[..n];
            hasher.update(chunk);
            if first && depth < self.limits.max_depth && chunk.starts_with(b"PK\x03\x04") {
                spool =
                    Some(tempfile::tempfile_in(self.tmp_dir).map_err(|e| format!("cannot create a temp file: {e}"))?);
            }
            first = false;
            if let Some(file) = spool.as_mut() {
                file.write_all(chunk).map_err(|e| format!("cannot spool '{name}': {e}"))?;
            }
            // Keep the tail of the previous chunk so a match across the boundary is seen.
            window.extend_from_slice(chunk);
            if contains(&window, EICAR) {
                return Ok(Some(EICAR_NAME.to_owned()));
            }
            let keep = window.len().min(EICAR.len() - 1);
            window.drain(..window.len() - keep);
        }
        if let Some(found) = self.deny.get(&<[u8; 32]>::from(hasher.finalize())) {
            return Ok(Some(found.clone()));
        }
        match spool {
            Some(mut file) => {
                file.rewind().map_err(|e| e.to_string())?;
                // A file that merely starts like a zip is not an error: scanned as bytes above.
                match self.archive(file, depth + 1) {
                    Err(e) if e.starts_with("not a readable zip") => Ok(None),
                    other => other,
                }
            }
            None => Ok(None),
        }
    }
}

/// Substring search; skips to candidate first bytes so clean data costs one pass.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&head, rest)) = needle.split_first() else { return true };
    let mut from = 0;
    while haystack.len() - from >= needle.len() {
        match haystack[from..=haystack.len() - needle.len()].iter().position(|&b| b == head) {
            None => return false,
            Some(i) if haystack[from + i + 1..].starts_with(rest) => return true,
            Some(i) => from += i + 1,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::nupkg_builder::zip_bytes;

    fn scanner(dir: &Path, denylist: Option<&str>) -> BuiltinScanner {
        let list = denylist.map(|text| {
            let p = dir.join("deny.txt");
            std::fs::write(&p, text).unwrap();
            p
        });
        BuiltinScanner::new(list, Limits::default(), dir.to_owned())
    }

    fn scan_bytes(s: &BuiltinScanner, dir: &Path, bytes: &[u8]) -> ScanOutcome {
        let p = dir.join("pkg.nupkg");
        std::fs::write(&p, bytes).unwrap();
        s.scan(&p)
    }

    fn infected(name: &str) -> ScanOutcome {
        ScanOutcome::Infected { signature: name.into() }
    }

    #[test]
    fn clean_package_is_clean() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = zip_bytes(&[("a.nuspec", b"<package/>".as_slice()), ("lib/net6.0/a.dll", &vec![0u8; 300_000])]);
        assert_eq!(scan_bytes(&scanner(dir.path(), None), dir.path(), &pkg), ScanOutcome::Clean);
    }

    #[test]
    fn eicar_is_found_deep_in_a_folder_and_across_chunk_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        let mut body = vec![b'a'; CHUNK - 30];
        body.extend_from_slice(EICAR);
        let pkg = zip_bytes(&[("a.nuspec", b"<package/>".as_slice()), ("content/deep/er/readme.txt", &body)]);
        assert_eq!(scan_bytes(&scanner(dir.path(), None), dir.path(), &pkg), infected(EICAR_NAME));
    }

    #[test]
    fn eicar_inside_a_nested_archive_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let inner = zip_bytes(&[("tools/eicar.com", EICAR)]);
        let middle = zip_bytes(&[("inner.nupkg", inner.as_slice())]);
        let pkg = zip_bytes(&[("a.nuspec", b"<package/>".as_slice()), ("tools/bundle.zip", &middle)]);
        assert_eq!(scan_bytes(&scanner(dir.path(), None), dir.path(), &pkg), infected(EICAR_NAME));
        // Beyond the depth limit the nested archive is only scanned as bytes, which a deflated
        // inner EICAR escapes: the limit is what bounds a nested-zip bomb.
        let s = BuiltinScanner::new(None, Limits { max_depth: 1, ..Limits::default() }, dir.path().to_owned());
        assert_eq!(scan_bytes(&s, dir.path(), &pkg), ScanOutcome::Clean);
    }

    #[test]
    fn denylisted_entry_and_package_hashes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let payload = b"definitely malware".as_slice();
        let hash = hex::encode(Sha256::digest(payload));
        let pkg = zip_bytes(&[("a.nuspec", b"<package/>".as_slice()), ("lib/x.dll", payload)]);
        let s = scanner(dir.path(), Some(&format!("# known bad\n\n{hash}  Acme.Trojan # from the incident\n")));
        assert_eq!(scan_bytes(&s, dir.path(), &pkg), infected("Acme.Trojan"));
        let whole = hex::encode(Sha256::digest(&pkg));
        let s = scanner(dir.path(), Some(&format!("{}\n", whole.to_uppercase())));
        assert_eq!(scan_bytes(&s, dir.path(), &pkg), infected(DENYLIST_NAME));
    }

    #[test]
    fn a_broken_denylist_or_archive_is_an_error_not_clean() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = zip_bytes(&[("a.nuspec", b"<package/>".as_slice())]);
        let s = scanner(dir.path(), Some("abc123\n"));
        let ScanOutcome::Error(e) = scan_bytes(&s, dir.path(), &pkg) else { panic!() };
        assert!(e.contains("line 1: 'abc123' is not a SHA-256 hash"), "{e}");
        let s = BuiltinScanner::new(Some(dir.path().join("missing.txt")), Limits::default(), dir.path().to_owned());
        assert!(matches!(scan_bytes(&s, dir.path(), &pkg), ScanOutcome::Error(_)));
        let s = scanner(dir.path(), None);
        assert!(matches!(scan_bytes(&s, dir.path(), b"not a zip"), ScanOutcome::Error(_)));
    }

    #[test]
    fn the_expansion_budget_is_enforced() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = zip_bytes(&[("a.nuspec", b"<package/>".as_slice()), ("big.bin", &vec![0u8; 200_000])]);
        let s = BuiltinScanner::new(None, Limits { max_bytes: 100_000, max_depth: 3 }, dir.path().to_owned());
        let ScanOutcome::Error(e) = scan_bytes(&s, dir.path(), &pkg) else { panic!() };
        assert!(e.contains("scan limit"), "{e}");
    }

    #[test]
    fn the_eicar_constant_is_the_real_test_file() {
        assert_eq!(
            hex::encode(Sha256::digest(EICAR)),
            "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
        );
    }

    #[test]
    fn substring_search() {
        assert!(contains(b"xxabcxx", b"abc"));
        assert!(contains(b"abc", b"abc"));
        assert!(!contains(b"ab", b"abc"));
        assert!(!contains(b"aabacab", b"abc"));
        assert!(contains(b"aababc", b"abc"));
    }
}

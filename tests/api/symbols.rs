//! Symbol packages: the push rules (each refusal with its exact status and message, nothing
//! stored), the symbol server (SSQP) and the `.snupkg` download, unlist and hard delete.
//!
//! The assembly and PDB are small byte fixtures: the fuzz seeds of `fuzz/seeds.py` (a PE32 whose
//! CodeView entry names a portable PDB) and PDBs built here. The real-file test (nuget.exe, a
//! real `ClrLoader.dll`/`.pdb`) is in `tests/clients/`.
use crate::helpers::{nupkg_named, nuspec, spawn_app, spawn_app_with, status_text, TestApp};
use crate::nupkg_builder::portable_pdb;

/// A PE32 whose CodeView entry names `pdb(GUID, STAMP)`, with no checksum entry.
const DLL: &[u8] = include_bytes!("../../fuzz/corpus/pe/seed-codeview");
/// The same CodeView entry and a SHA256 checksum entry that no PDB has (all zero).
const DLL_BAD_CHECKSUM: &[u8] = include_bytes!("../../fuzz/corpus/pe/seed-codeview-checksum");
const WINDOWS_PDB: &[u8] = include_bytes!("../../fuzz/corpus/pdb/seed-windows");
const STAMP: u32 = 0x05F5_E100;
/// `bytes(range(16))` read as a .NET Guid, then `FFFFFFFF`.
const KEY: &str = "030201000504070608090a0b0c0d0e0fffffffff";

/// A portable PDB whose id is `guid` + `stamp`.
fn pdb(guid: [u8; 16], stamp: u32) -> Vec<u8> {
    let mut id = [0u8; 20];
    id[..16].copy_from_slice(&guid);
    id[16..].copy_from_slice(&stamp.to_le_bytes());
    portable_pdb(&id)
}

fn good_pdb() -> Vec<u8> {
    pdb(std::array::from_fn(|i| u8::try_from(i).unwrap()), STAMP)
}

/// The manifest `nuget pack -SymbolPackageFormat snupkg` writes: no `<authors>`.
fn symbols_nuspec(id: &str, version: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2010/07/nuspec.xsd">
  <metadata>
    <id>{id}</id>
    <version>{version}</version>
    <description>Symbols of {id}</description>
    <packageTypes><packageType name="SymbolsPackage" /></packageTypes>
  </metadata>
</package>"#
    )
}

/// A `.snupkg` with the packaging metadata files NuGet writes, and `files`.
fn snupkg(nuspec_xml: &str, id: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut all: Vec<(&str, &[u8])> = vec![("[Content_Types].xml", b"<Types/>"), ("_rels/.rels", b"<Relationships/>")];
    all.extend_from_slice(files);
    nupkg_named(nuspec_xml, id, &all)
}

fn push_symbols(app: &TestApp, key: Option<&str>, bytes: &[u8]) -> reqwest::blocking::Response {
    app.push_file("/api/v2/symbolpackage/", "package.snupkg", key, bytes)
}

/// Alice's Acme.Lib 1.0.0 with `lib/net6.0/Lib.dll`.
fn with_package(app: &TestApp, dll: &[u8]) -> String {
    let (_, key) = app.user_with_key("alice");
    let package = nupkg_named(&nuspec("Acme.Lib", "1.0.0", ""), "Acme.Lib", &[("lib/net6.0/Lib.dll", dll)]);
    assert_eq!(app.push(Some(&key), &package).status(), 201);
    key
}

/// Symbol rows and symbol files in the store.
fn symbols_stored(app: &TestApp) -> (i64, usize) {
    let dir = app.state.config.packages_dir().join("acme.lib/1.0.0");
    let files = std::fs::read_dir(dir)
        .map_or(0, |d| d.flatten().filter(|e| e.file_name().to_string_lossy().starts_with("symbols")).count());
    (app.count("SELECT count(*) FROM symbol_files"), files)
}

#[test]
fn push_then_serve_by_ssqp_key_and_download() {
    let app = spawn_app();
    let key = with_package(&app, DLL);
    let pdb = good_pdb();
    assert!(!app.get("/packages/Acme.Lib/1.0.0").text().unwrap().contains("Symbols available"));
    let snupkg = snupkg(&symbols_nuspec("Acme.Lib", "1.0.0"), "Acme.Lib", &[("lib/net6.0/Lib.pdb", &pdb)]);
    let (status, text) = status_text(push_symbols(&app, Some(&key), &snupkg));
    assert_eq!((status, text.as_str()), (201, "Published the symbols of Acme.Lib 1.0.0."));
    assert_eq!(symbols_stored(&app), (1, 2));
    // The package page says so, and how to point Visual Studio at the symbol server.
    let page = app.get("/packages/Acme.Lib/1.0.0").text().unwrap();
    assert!(page.contains("<strong>Symbols available.</strong>"), "{page}");
    assert!(page.contains(&format!("add <code>{}/symbols</code> as a symbol server", app.base)), "{page}");
    assert!(page.contains(r#"<a href="/api/v2/symbolpackage/Acme.Lib/1.0.0" download>Download symbols</a>"#));

    let index = app.get_json("/v3/index.json");
    let resource = index["resources"].as_array().unwrap().iter().find(|r| r["@type"] == "SymbolPackagePublish/4.9.0");
    assert_eq!(resource.unwrap()["@id"], format!("{}/api/v2/symbolpackage", app.base));

    for path in [format!("/symbols/lib.pdb/{KEY}/lib.pdb"), format!("/symbols/Lib.PDB/{}/LIB.pdb", KEY.to_uppercase())]
    {
        let r = app.get(&path);
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-disposition"], "attachment");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert_eq!(r.bytes().unwrap().as_ref(), pdb.as_slice());
    }
    for path in [
        "/symbols/lib.pdb/000000000000000000000000000000000ffffffff/lib.pdb".to_owned(),
        format!("/symbols/other.pdb/{KEY}/other.pdb"),
        format!("/symbols/lib.pdb/{KEY}/other.pdb"),
    ] {
        assert_eq!(app.get(&path).status(), 404, "{path}");
    }
    // The SymbolChecksum header: the PDB's SHA-256 (id zeroed) must be one of those listed.
    let mut zeroed = pdb.clone();
    zeroed[48..68].fill(0);
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&zeroed))
    };
    let with_checksum = |value: &str| {
        app.client
            .get(app.url(&format!("/symbols/lib.pdb/{KEY}/lib.pdb")))
            .header("SymbolChecksum", value)
            .send()
            .unwrap()
    };
    assert_eq!(with_checksum(&format!("SHA256:{}", "0".repeat(64))).status(), 404);
    assert_eq!(with_checksum(&format!("SHA256:{};SHA256:{}", "0".repeat(64), sha.to_uppercase())).status(), 200);

    let r = app.get("/api/v2/symbolpackage/acme.lib/1.0.0");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-disposition"], "attachment");
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    assert_eq!(r.bytes().unwrap().as_ref(), snupkg.as_slice());
    assert_eq!(app.get("/api/v2/symbolpackage/Acme.Lib/2.0.0").status(), 404);

    // Unlisting keeps the symbols; a re-upload replaces them.
    assert_eq!(app.delete(&key, "Acme.Lib", "1.0.0").status(), 204);
    assert_eq!(app.get(&format!("/symbols/lib.pdb/{KEY}/lib.pdb")).status(), 200);
    assert_eq!(push_symbols(&app, Some(&key), &snupkg).status(), 201);
    assert_eq!(symbols_stored(&app), (1, 2));
}

#[test]
fn hard_delete_removes_the_symbols() {
    let app = spawn_app_with(|c| c.publish.delete_mode = galley::config::DeleteMode::Hard);
    let admin = app.create_user("root", true);
    let admin_key = app.create_key(admin, "push,unlist", &[]);
    let key = with_package(&app, DLL);
    let snupkg = snupkg(&symbols_nuspec("Acme.Lib", "1.0.0"), "Acme.Lib", &[("lib/net6.0/Lib.pdb", &good_pdb())]);
    assert_eq!(push_symbols(&app, Some(&key), &snupkg).status(), 201);
    assert_eq!(app.delete(&admin_key, "Acme.Lib", "1.0.0").status(), 204);
    assert_eq!(app.get(&format!("/symbols/lib.pdb/{KEY}/lib.pdb")).status(), 404);
    assert_eq!(app.get("/api/v2/symbolpackage/Acme.Lib/1.0.0").status(), 404);
    assert_eq!(symbols_stored(&app), (0, 0));
}

/// (what is wrong, the API key, the `.snupkg`, status, message).
type Case<'a> = (&'a str, Option<&'a str>, Vec<u8>, u16, String);

#[test]
fn refusals_name_the_file_and_store_nothing() {
    let app = spawn_app();
    let key = with_package(&app, DLL);
    let bob = app.create_user("bob", false);
    let bob_key = app.create_key(bob, "push", &[]);
    let good = good_pdb();
    let other = pdb([9; 16], STAMP);
    let ok_nuspec = symbols_nuspec("Acme.Lib", "1.0.0");
    let invalid = "The symbol package is invalid: ";
    let cases: Vec<Case> = vec![
        (
            "a PDB of another assembly",
            Some(&key),
            snupkg(&ok_nuspec, "Acme.Lib", &[("lib/net6.0/Lib.pdb", &other)]),
            400,
            format!("{invalid}'lib/net6.0/Lib.pdb' does not belong to 'lib/net6.0/Lib.dll': its PDB id is not the one the assembly's debug directory names."),
        ),
        (
            "a Windows PDB",
            Some(&key),
            snupkg(&ok_nuspec, "Acme.Lib", &[("lib/net6.0/Lib.pdb", WINDOWS_PDB)]),
            400,
            format!("{invalid}'lib/net6.0/Lib.pdb': it is a Windows PDB; only portable PDBs are accepted: build with <DebugType>portable</DebugType>."),
        ),
        (
            "an extra non-PDB file",
            Some(&key),
            snupkg(&ok_nuspec, "Acme.Lib", &[("lib/net6.0/Lib.pdb", &good), ("lib/net6.0/Lib.xml", b"<doc/>")]),
            400,
            format!("{invalid}'lib/net6.0/Lib.xml' is not a .pdb file; a symbol package may contain only .pdb files."),
        ),
        (
            "a PDB without an assembly at its path",
            Some(&key),
            snupkg(&ok_nuspec, "Acme.Lib", &[("lib/net8.0/Lib.pdb", &good)]),
            400,
            format!("{invalid}'lib/net8.0/Lib.pdb' has no matching .dll or .exe at the same path in the package."),
        ),
        (
            "no SymbolsPackage type",
            Some(&key),
            snupkg(&nuspec("Acme.Lib", "1.0.0", ""), "Acme.Lib", &[("lib/net6.0/Lib.pdb", &good)]),
            400,
            format!("{invalid}its manifest does not have the package type 'SymbolsPackage'."),
        ),
        (
            "no PDB at all",
            Some(&key),
            snupkg(&ok_nuspec, "Acme.Lib", &[]),
            400,
            format!("{invalid}it contains no .pdb files."),
        ),
        (
            "not a zip",
            Some(&key),
            b"not a zip".to_vec(),
            400,
            format!("{invalid}the package is not a valid zip archive."),
        ),
        (
            "a version the package does not have (id/version mismatch)",
            Some(&key),
            snupkg(&symbols_nuspec("Acme.Lib", "2.0.0"), "Acme.Lib", &[("lib/net6.0/Lib.pdb", &good)]),
            404,
            "The package 'Acme.Lib' version '2.0.0' does not exist; push the package before its symbols.".into(),
        ),
        (
            "a package that does not exist",
            Some(&key),
            snupkg(&symbols_nuspec("Nope.Lib", "1.0.0"), "Nope.Lib", &[("lib/net6.0/Lib.pdb", &good)]),
            404,
            "The package 'Nope.Lib' version '1.0.0' does not exist; push the package before its symbols.".into(),
        ),
        (
            "a key that may not push the package",
            Some(&bob_key),
            snupkg(&ok_nuspec, "Acme.Lib", &[("lib/net6.0/Lib.pdb", &good)]),
            403,
            "The package 'Acme.Lib' is owned by another account; only its owners may push new versions of it.".into(),
        ),
        (
            "no key",
            None,
            snupkg(&ok_nuspec, "Acme.Lib", &[("lib/net6.0/Lib.pdb", &good)]),
            401,
            String::new(),
        ),
    ];
    for (case, key, bytes, status, message) in cases {
        let (got, text) = status_text(push_symbols(&app, key, &bytes));
        assert_eq!(got, status, "{case}: {text}");
        if !message.is_empty() {
            assert_eq!(text, message, "{case}");
        }
        assert_eq!(symbols_stored(&app), (0, 0), "{case}: nothing stored");
        assert_eq!(app.get(&format!("/symbols/lib.pdb/{KEY}/lib.pdb")).status(), 404, "{case}");
    }
}

#[test]
fn a_recorded_checksum_must_match() {
    let app = spawn_app();
    let key = with_package(&app, DLL_BAD_CHECKSUM);
    let snupkg = snupkg(&symbols_nuspec("Acme.Lib", "1.0.0"), "Acme.Lib", &[("lib/net6.0/Lib.pdb", &good_pdb())]);
    let (status, text) = status_text(push_symbols(&app, Some(&key), &snupkg));
    assert_eq!(
        (status, text.as_str()),
        (
            400,
            "The symbol package is invalid: 'lib/net6.0/Lib.pdb' does not belong to 'lib/net6.0/Lib.dll': its checksum is not the one the assembly records."
        )
    );
    assert_eq!(symbols_stored(&app), (0, 0));
}

#[test]
fn a_failed_re_upload_keeps_the_previous_symbols() {
    let app = spawn_app();
    let key = with_package(&app, DLL);
    let first = good_pdb();
    let good = snupkg(&symbols_nuspec("Acme.Lib", "1.0.0"), "Acme.Lib", &[("lib/net6.0/Lib.pdb", &first)]);
    assert_eq!(push_symbols(&app, Some(&key), &good).status(), 201);
    let bad = snupkg(&symbols_nuspec("Acme.Lib", "1.0.0"), "Acme.Lib", &[("lib/net6.0/Lib.pdb", &pdb([9; 16], STAMP))]);
    assert_eq!(push_symbols(&app, Some(&key), &bad).status(), 400);
    let r = app.get(&format!("/symbols/lib.pdb/{KEY}/lib.pdb"));
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().unwrap().as_ref(), first.as_slice());
    assert_eq!(app.get("/api/v2/symbolpackage/Acme.Lib/1.0.0").bytes().unwrap().as_ref(), good.as_slice());
}

/// The symbol index is read from the database at start: a restarted server still serves.
#[test]
fn the_index_survives_a_restart() {
    let app = spawn_app();
    let key = with_package(&app, DLL);
    let snupkg = snupkg(&symbols_nuspec("Acme.Lib", "1.0.0"), "Acme.Lib", &[("lib/net6.0/Lib.pdb", &good_pdb())]);
    assert_eq!(push_symbols(&app, Some(&key), &snupkg).status(), 201);
    let reopened = galley::state::AppState::open((*app.state.config).clone()).unwrap();
    assert!(galley::services::symbols::find_pdb(&reopened, "LIB.pdb", KEY, None).is_some());
}

/// With the real `ClrLoader.dll` and its portable PDB from the `clr-loader` 0.3.1 wheel, when
/// `./test.sh` has downloaded it (`target/test-tools/clr-loader/`); the fixtures above cover the
/// rules without it.
#[test]
fn real_assembly_and_pdb_when_downloaded() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-tools/clr-loader");
    let wheel = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"));
    let Some(wheel) = wheel else {
        eprintln!("skipped: no clr-loader wheel in {} (./test.sh downloads it)", dir.display());
        return;
    };
    let read = |name: &str| {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&wheel).unwrap()).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut zip.by_name(name).unwrap(), &mut bytes).unwrap();
        bytes
    };
    let dll = read("clr_loader/ffi/dlls/amd64/ClrLoader.dll");
    let pdb = read("clr_loader/ffi/dlls/amd64/ClrLoader.pdb");
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    let package =
        nupkg_named(&nuspec("ClrLoader", "0.3.1", ""), "ClrLoader", &[("lib/netstandard2.0/ClrLoader.dll", &dll)]);
    assert_eq!(app.push(Some(&key), &package).status(), 201);
    let symbols =
        snupkg(&symbols_nuspec("ClrLoader", "0.3.1"), "ClrLoader", &[("lib/netstandard2.0/ClrLoader.pdb", &pdb)]);
    let (status, text) = status_text(push_symbols(&app, Some(&key), &symbols));
    assert_eq!((status, text.as_str()), (201, "Published the symbols of ClrLoader 0.3.1."));
    let info = galley::domain::pe::read_debug_info(&dll).unwrap();
    let ssqp = info.codeviews[0].pdb_id().ssqp_key();
    let r = app.get(&format!("/symbols/ClrLoader.pdb/{ssqp}/ClrLoader.pdb"));
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().unwrap().as_ref(), pdb.as_slice());
    // The x86 build's PDB is another build's: refused against the amd64 assembly when ids differ.
    let x86 = read("clr_loader/ffi/dlls/x86/ClrLoader.pdb");
    if x86 != pdb {
        let symbols =
            snupkg(&symbols_nuspec("ClrLoader", "0.3.1"), "ClrLoader", &[("lib/netstandard2.0/ClrLoader.pdb", &x86)]);
        assert_eq!(push_symbols(&app, Some(&key), &symbols).status(), 400);
    }
}

/// `galley import` publishes a `.snupkg` found beside its `.nupkg` with the push's checks.
#[test]
fn import_takes_symbol_packages_beside_their_packages() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, share) = (tmp.path().join("data"), tmp.path().join("share"));
    std::fs::create_dir_all(&share).unwrap();
    for (id, pdb) in [("Acme.Lib", good_pdb()), ("Bad.Lib", pdb([9; 16], STAMP))] {
        let package = nupkg_named(&nuspec(id, "1.0.0", ""), id, &[("lib/net6.0/Lib.dll", DLL)]);
        std::fs::write(share.join(format!("{id}.1.0.0.nupkg")), package).unwrap();
        let symbols = snupkg(&symbols_nuspec(id, "1.0.0"), id, &[("lib/net6.0/Lib.pdb", &pdb)]);
        std::fs::write(share.join(format!("{id}.1.0.0.snupkg")), symbols).unwrap();
    }
    // A .snupkg without its .nupkg beside it is not a symbol package of this import.
    std::fs::write(share.join("Lone.1.0.0.snupkg"), b"ignored").unwrap();
    let out = crate::helpers::galley_command()
        .args(["import", share.to_str().unwrap(), "--data-dir", data.to_str().unwrap()])
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("Imported 2 packages, skipped 0 duplicates, 0 failed (of 2 found)."), "{stdout}");
    assert!(stdout.contains("Imported the symbols of 1 packages, 1 failed (of 2 .snupkg files found)."), "{stdout}");
    assert!(
        stderr.contains(
            "Bad.Lib.1.0.0.snupkg: The symbol package is invalid: 'lib/net6.0/Lib.pdb' does not belong to \
             'lib/net6.0/Lib.dll'"
        ),
        "{stderr}"
    );
    let conn = rusqlite::Connection::open(data.join("galley.db")).unwrap();
    let rows: i64 = conn.query_row("SELECT count(*) FROM symbol_files", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, 1);
    assert!(data.join("packages/acme.lib/1.0.0/symbols.snupkg").exists());
    assert!(!data.join("packages/bad.lib/1.0.0/symbols.snupkg").exists());
}

/// Symbol packages go through the package scanner before anything is stored.
#[test]
fn an_infected_symbol_package_is_refused() {
    let app = spawn_app();
    let key = with_package(&app, DLL);
    let mut pdb = good_pdb();
    pdb.extend_from_slice(galley::scan::builtin::EICAR);
    let snupkg = snupkg(&symbols_nuspec("Acme.Lib", "1.0.0"), "Acme.Lib", &[("lib/net6.0/Lib.pdb", &pdb)]);
    let (status, text) = status_text(push_symbols(&app, Some(&key), &snupkg));
    assert_eq!((status, text.as_str()), (400, "The symbol package failed validation: virus found: Eicar-Signature."));
    assert_eq!(symbols_stored(&app), (0, 0));
    assert_eq!(app.get(&format!("/symbols/lib.pdb/{KEY}/lib.pdb")).status(), 404);
}

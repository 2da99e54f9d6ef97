//! Validation over HTTP: sync refusals, async acceptance, held uploads that are never served,
//! retries, rescans that quarantine, and the notices they write to the outbox.
use crate::helpers::{nupkg, nupkg_named, nuspec, spawn_app, spawn_app_with, TestApp};
use galley::config::{ScanMode, ScannerKind};
use galley::scan::builtin::EICAR;
use galley::services::{rescan, validation};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub fn eicar_package(id: &str, version: &str) -> Vec<u8> {
    nupkg_named(&nuspec(id, version, ""), id, &[("content/docs/deep/readme.txt", EICAR)])
}

/// A package carrying `payload` as a library, so a deny-list or signature can target it later.
pub fn payload_package(id: &str, version: &str, payload: &[u8]) -> Vec<u8> {
    nupkg_named(&nuspec(id, version, ""), id, &[("lib/net6.0/payload.dll", payload)])
}

pub fn status(app: &TestApp, id: &str, version: &str) -> Option<(String, Option<String>, u32)> {
    let conn = app.db();
    (&conn as &dyn galley::db::sql::Sql)
        .query_optional(
            "SELECT v.status, v.status_reason, v.scan_attempts FROM package_versions v JOIN packages p ON p.id = v.package_key
             WHERE p.id_lower = lower(?1) AND v.version_lower = lower(?2)",
            galley::values![id, version],
            |r| Ok((r.get(0)?, r.get(1)?, u32::try_from(r.get::<i64>(2)?).unwrap())),
        )
        .unwrap()
}

/// Polls (bounded) until the version's status satisfies `done`.
pub fn wait_for(app: &TestApp, id: &str, version: &str, done: impl Fn(&str, u32) -> bool) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if status(app, id, version).is_some_and(|(s, _, attempts)| done(&s, attempts)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{id} {version} never reached the expected state: {:?}", status(app, id, version));
}

/// Every `.eml` in the outbox, as (file name, text), sorted, once the mail thread has finished
/// every queued message.
pub fn outbox(app: &TestApp) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let queued = app.count("SELECT count(*) FROM mail_log WHERE finished_at IS NULL");
        if queued == 0 || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut mails: Vec<(PathBuf, String)> = std::fs::read_dir(app.state.config.outbox_dir())
        .map(|d| d.flatten().map(|e| (e.path(), std::fs::read_to_string(e.path()).unwrap())).collect())
        .unwrap_or_default();
    mails.sort();
    mails.into_iter().map(|(_, text)| text).collect()
}

/// `outbox`, once it holds at least `n` messages (at most 10 s): a notice is queued after the
/// change it reports commits, so a test that saw the change may look before the notice exists.
pub fn outbox_with(app: &TestApp, n: usize) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let mails = outbox(app);
        if mails.len() >= n || std::time::Instant::now() > deadline {
            return mails;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

pub fn files_under(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries.flatten().map(|e| if e.path().is_dir() { files_under(&e.path()) } else { 1 }).sum()
    })
}

/// Waits (at most 5 s) until no client-facing route shows id+version. A change made by another
/// process (`galley rescan` from a shell) reaches a running server within about a second.
pub fn hidden_soon(app: &TestApp, id: &str, version: &str) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while visible(app, id, version) {
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    true
}

/// Whether any client-facing route still shows id+version.
pub fn visible(app: &TestApp, id: &str, version: &str) -> bool {
    let (id_l, v) = (id.to_ascii_lowercase(), version.to_ascii_lowercase());
    let flat = app.get(&format!("/v3/flatcontainer/{id_l}/index.json"));
    let in_flat = flat.status() == 200 && flat.text().unwrap().contains(&format!("\"{v}\""));
    let leaf = app.get(&format!("/v3/registration/{id_l}/{v}.json")).status() == 200;
    let download = app.get(&format!("/v3/flatcontainer/{id_l}/{v}/{id_l}.{v}.nupkg")).status() == 200;
    let nuspec = app.get(&format!("/v3/flatcontainer/{id_l}/{v}/{id_l}.nuspec")).status() == 200;
    let search = app.get_json(&format!("/v3/query?q=packageid:{id}&prerelease=true"));
    let in_search = search["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["versions"].as_array().unwrap().iter().any(|x| x["version"].as_str() == Some(version)));
    in_flat || leaf || download || nuspec || in_search
}

/// A command scanner that is "down" (exit 2) until `flag` exists, then clean.
fn flag_scanner(dir: &Path) -> (Vec<String>, PathBuf) {
    let flag = dir.join("scanner-up");
    let script = dir.join("scan.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\n[ -f '{}' ] && exit 0\necho 'scanner offline' >&2\nexit 2\n", flag.display()),
    )
    .unwrap();
    (vec!["/bin/sh".into(), script.to_string_lossy().into_owned(), "{path}".into()], flag)
}

#[test]
fn sync_push_of_eicar_is_refused_and_nothing_is_stored_or_served() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    let r = app.push(Some(&key), &eicar_package("Evil.Pkg", "1.0.0"));
    assert_eq!(r.status(), 400);
    assert_eq!(r.text().unwrap(), "The package failed validation: virus found: Eicar-Signature.");
    assert_eq!(app.stored(), (0, 0, 0), "no row, no file in the package store");
    assert_eq!(files_under(&app.state.config.pending_dir()), 0);
    assert_eq!(files_under(&app.state.config.quarantine_dir()), 0, "deleted: keep_infected is off");
    assert!(!visible(&app, "Evil.Pkg", "1.0.0"));
    let mails = outbox(&app);
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("To: alice@example.com\r\n"), "{}", mails[0]);
    assert!(mails[0].contains("Subject: [Galley] Evil.Pkg 1.0.0 failed validation\r\n"));
    assert!(mails[0].contains("the virus scanner found Eicar-Signature"));
    let audit = app.text("SELECT action || ' ' || detail FROM audit_log WHERE package_id = 'Evil.Pkg'");
    assert_eq!(audit, "package.push_refused virus found: Eicar-Signature");
    // The refusal did not reserve anything: a clean package of that id and version is accepted.
    assert_eq!(app.push(Some(&key), &nupkg("Evil.Pkg", "1.0.0")).status(), 201);
}

#[test]
fn keep_infected_holds_the_bytes_in_quarantine_never_under_the_store() {
    let app = spawn_app_with(|c| c.scan.keep_infected = true);
    let (_, key) = app.user_with_key("alice");
    let bytes = eicar_package("Evil.Pkg", "1.0.0");
    assert_eq!(app.push(Some(&key), &bytes).status(), 400);
    let kept = app.state.quarantine.path("evil.pkg", "1.0.0");
    assert_eq!(std::fs::read(&kept).unwrap(), bytes);
    assert!(!kept.starts_with(app.state.config.packages_dir()));
    assert_eq!(app.stored(), (0, 0, 0));
    assert!(!visible(&app, "Evil.Pkg", "1.0.0"));
}

#[test]
fn a_malformed_signature_file_is_refused_as_invalid() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    let bad = nupkg_named(&nuspec("Signed.Pkg", "1.0.0", ""), "Signed.Pkg", &[(".signature.p7s", b"not der")]);
    let r = app.push(Some(&key), &bad);
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.text().unwrap(),
        "The package is invalid: The package signature file .signature.p7s is not well-formed: it does not start with a DER SEQUENCE."
    );
    // SEQUENCE { OID signedData, NULL }: well-formed enough for this check.
    let p7s =
        [&[0x30, 13, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02][..], &[0x05, 0x00]].concat();
    let good = nupkg_named(&nuspec("Signed.Pkg", "1.0.0", ""), "Signed.Pkg", &[(".signature.p7s", &p7s)]);
    assert_eq!(app.push(Some(&key), &good).status(), 201);
}

#[test]
fn async_push_is_accepted_held_unserved_and_published_by_the_retry_job_once_clean() {
    let dir = tempfile::tempdir().unwrap();
    let (command, flag) = flag_scanner(dir.path());
    let app = spawn_app_with(|c| {
        c.scan.mode = ScanMode::Async;
        c.scan.scanner = ScannerKind::Command;
        c.scan.command = command;
    });
    let (_, key) = app.user_with_key("alice");
    let bytes = nupkg("Acme.Core", "1.0.0");
    let r = app.push(Some(&key), &bytes);
    assert_eq!(r.status(), 202);
    assert_eq!(r.text().unwrap(), "Accepted Acme.Core 1.0.0: it will be published once the virus scan finds it clean.");
    // The background scan ran and failed (scanner offline): still validating, with a backoff.
    wait_for(&app, "Acme.Core", "1.0.0", |s, attempts| s == "validating" && attempts == 1);
    let (_, reason, _) = status(&app, "Acme.Core", "1.0.0").unwrap();
    assert_eq!(reason.as_deref(), Some("scan failed: the scan command exited with code 2: scanner offline"));
    assert!(!visible(&app, "Acme.Core", "1.0.0"));
    assert_eq!(app.stored().2, 0, "nothing in the package store while validating");
    assert_eq!(std::fs::read(app.state.pending.path("acme.core", "1.0.0")).unwrap(), bytes);
    // A second push of the same version is a conflict, as for a published one.
    assert_eq!(app.push(Some(&key), &bytes).status(), 409);

    // Not due yet: the retry job leaves it alone.
    let now = app.state.clock.now();
    assert_eq!(
        validation::retry_validating(&app.state, now).unwrap().to_string(),
        "0 published, 0 failed validation, 0 still waiting"
    );
    std::fs::write(&flag, "").unwrap();
    let report = validation::retry_validating(&app.state, now + chrono::Duration::hours(1)).unwrap();
    assert_eq!(report, validation::RetryReport { published: 1, failed: 0, waiting: 0 });
    assert_eq!(status(&app, "Acme.Core", "1.0.0").unwrap().0, "available");
    assert!(visible(&app, "Acme.Core", "1.0.0"));
    let r = app.get("/v3/flatcontainer/acme.core/1.0.0/acme.core.1.0.0.nupkg");
    assert_eq!(r.bytes().unwrap().as_ref(), bytes.as_slice());
    assert_eq!(files_under(&app.state.config.pending_dir()), 0);
}

#[test]
fn async_push_with_a_working_scanner_becomes_available_by_itself() {
    let app = spawn_app_with(|c| c.scan.mode = ScanMode::Async);
    let (_, key) = app.user_with_key("alice");
    assert_eq!(app.push(Some(&key), &nupkg("Acme.Core", "1.0.0")).status(), 202);
    wait_for(&app, "Acme.Core", "1.0.0", |s, _| s == "available");
    assert!(visible(&app, "Acme.Core", "1.0.0"));
}

#[test]
fn async_infected_push_fails_notifies_the_publisher_and_its_number_may_be_reused() {
    let app = spawn_app_with(|c| c.scan.mode = ScanMode::Async);
    let (_, key) = app.user_with_key("alice");
    assert_eq!(app.push(Some(&key), &eicar_package("Acme.Core", "1.0.0")).status(), 202);
    wait_for(&app, "Acme.Core", "1.0.0", |s, _| s == "failed");
    let (_, reason, _) = status(&app, "Acme.Core", "1.0.0").unwrap();
    assert_eq!(reason.as_deref(), Some("virus found: Eicar-Signature"));
    assert!(!visible(&app, "Acme.Core", "1.0.0"));
    assert_eq!(files_under(&app.state.config.pending_dir()), 0, "infected bytes deleted");
    let mails = outbox_with(&app, 1);
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("Subject: [Galley] Acme.Core 1.0.0 failed validation"));
    // Never served, so the number is free again.
    assert_eq!(app.push(Some(&key), &nupkg("Acme.Core", "1.0.0")).status(), 202);
    wait_for(&app, "Acme.Core", "1.0.0", |s, _| s == "available");
}

#[test]
fn sync_push_while_the_scanner_is_down_is_held_validating_with_backoff() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = spawn_app_with(|c| {
        c.scan.scanner = ScannerKind::Clamd;
        c.scan.clamd_address = format!("tcp://127.0.0.1:{port}");
        c.scan.retry_base_seconds = 60;
        c.scan.retry_max_seconds = 150;
    });
    let (_, key) = app.user_with_key("alice");
    let r = app.push(Some(&key), &nupkg("Acme.Core", "1.0.0"));
    assert_eq!(r.status(), 202);
    assert_eq!(
        r.text().unwrap(),
        "Accepted Acme.Core 1.0.0: the virus scanner is unavailable; it will be published once a scan finds it clean."
    );
    assert_eq!(
        status(&app, "Acme.Core", "1.0.0").unwrap(),
        ("validating".into(), Some("the virus scanner was unavailable".into()), 1)
    );
    assert!(!visible(&app, "Acme.Core", "1.0.0"));
    let next_scan = |app: &TestApp| -> String { app.text("SELECT next_scan_at FROM package_versions") };
    let now = app.state.clock.now();
    // Backoff doubles from the base up to the maximum: 60 s, 120 s, 150 s.
    for (attempt, delay) in [(2, 120), (3, 150), (4, 150)] {
        let at = now + chrono::Duration::hours(attempt);
        let report = validation::retry_validating(&app.state, at).unwrap();
        assert_eq!(report.waiting, 1);
        let (_, _, attempts) = status(&app, "Acme.Core", "1.0.0").unwrap();
        assert_eq!(attempts, u32::try_from(attempt).unwrap());
        let expected = galley::db::validation::time_text(at + chrono::Duration::seconds(delay));
        assert_eq!(next_scan(&app), expected);
    }
    assert!(!visible(&app, "Acme.Core", "1.0.0"));
}

#[test]
fn rescan_after_a_denylist_update_quarantines_hides_everywhere_and_notifies() {
    let dir = tempfile::tempdir().unwrap();
    let denylist = dir.path().join("deny.txt");
    std::fs::write(&denylist, "# nothing yet\n").unwrap();
    let deny = denylist.clone();
    let app = spawn_app_with(move |c| c.scan.builtin_denylist = deny.to_string_lossy().into_owned());
    let (_, key) = app.user_with_key("alice");
    app.create_user("root", true);
    let payload = b"a library that turns out to be malware".as_slice();
    assert_eq!(app.push(Some(&key), &nupkg("Acme.Core", "1.0.0")).status(), 201);
    assert_eq!(app.push(Some(&key), &payload_package("Acme.Core", "2.0.0", payload)).status(), 201);
    assert_eq!(app.push(Some(&key), &payload_package("Other.Lib", "1.0.0", payload)).status(), 201);
    assert!(visible(&app, "Acme.Core", "2.0.0") && visible(&app, "Other.Lib", "1.0.0"));

    let report = rescan::rescan(&app.state, None).unwrap();
    assert_eq!(report.to_string(), "3 scanned, 0 quarantined, 0 scan errors");
    std::fs::write(&denylist, format!("{}  Acme.Test.Trojan\n", hex::encode(Sha256::digest(payload)))).unwrap();
    let report = rescan::rescan(&app.state, None).unwrap();
    assert_eq!(
        report.to_string(),
        "3 scanned, 2 quarantined, 0 scan errors (Acme.Core 2.0.0: Acme.Test.Trojan; Other.Lib 1.0.0: Acme.Test.Trojan)"
    );

    assert_eq!(status(&app, "Acme.Core", "2.0.0").unwrap().0, "quarantined");
    assert!(!visible(&app, "Acme.Core", "2.0.0"));
    assert!(visible(&app, "Acme.Core", "1.0.0"), "the clean version stays");
    assert_eq!(app.get_json("/v3/flatcontainer/acme.core/index.json")["versions"], serde_json::json!(["1.0.0"]));
    assert_eq!(app.get_json("/v3/registration/acme.core/index.json")["items"][0]["upper"], "1.0.0");
    assert_eq!(app.get_json("/v3/query?q=Acme.Core")["data"][0]["version"], "1.0.0");
    // An id whose only version is quarantined disappears entirely.
    assert_eq!(app.get("/v3/flatcontainer/other.lib/index.json").status(), 404);
    assert_eq!(app.get("/v3/registration/other.lib/index.json").status(), 404);
    assert_eq!(app.get_json("/v3/query?q=Other.Lib")["totalHits"], 0);
    assert_eq!(app.get_json("/v3/autocomplete?q=other")["totalHits"], 0);
    assert!(!app.state.store.nupkg_path("other.lib", "1.0.0").exists(), "bytes removed from the store");
    // The search index was updated in the same code path: a rebuild finds nothing to repair.
    assert_eq!(galley::services::maintenance::reindex(&app.state).unwrap().drift, 0);

    let mails = outbox(&app);
    assert_eq!(mails.len(), 4, "owner and admin, for each of the two versions");
    let core: Vec<&String> =
        mails.iter().filter(|m| m.contains("Subject: [Galley] Acme.Core 2.0.0 was quarantined")).collect();
    assert_eq!(core.len(), 2);
    assert!(core.iter().any(|m| m.contains("To: alice@example.com")));
    assert!(core.iter().any(|m| m.contains("To: root@example.com")));
    assert!(core[0].contains("A scheduled rescan found Acme.Test.Trojan in the package Acme.Core 2.0.0."));
    // A second rescan does not quarantine or notify again.
    assert_eq!(rescan::rescan(&app.state, None).unwrap().quarantined.len(), 0);
    assert_eq!(outbox(&app).len(), 4);
    // A quarantined number is never reused.
    assert_eq!(app.push(Some(&key), &nupkg("Acme.Core", "2.0.0")).status(), 409);
}

#[test]
fn rescan_of_one_id_and_of_an_unknown_id() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push(Some(&key), &nupkg("Acme.Core", "1.0.0"));
    app.push(Some(&key), &nupkg("Other.Lib", "1.0.0"));
    assert_eq!(rescan::rescan(&app.state, Some("ACME.core")).unwrap().scanned, 1);
    let err = rescan::rescan(&app.state, Some("Nope")).unwrap_err();
    assert_eq!(err.to_string(), "The package 'Nope' has no available version to rescan.");
}

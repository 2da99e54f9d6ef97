//! Scheduled jobs: exclusive runs, the CLI entry points, reindex drift, purge, and the real
//! scheduler publishing a held package on its own.
use crate::helpers::{nupkg, spawn_app, spawn_app_with};
use crate::scan::{payload_package, status, visible, wait_for};
use galley::config::{ScanMode, ScannerKind};
use galley::jobs::{self, Job};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// A command scanner that takes `seconds` to find everything clean.
fn slow_scanner(dir: &std::path::Path, seconds: f32) -> Vec<String> {
    let script = dir.join("slow.sh");
    std::fs::write(&script, format!("#!/bin/sh\nsleep {seconds}\nexit 0\n")).unwrap();
    vec!["/bin/sh".into(), script.to_string_lossy().into_owned(), "{path}".into()]
}

#[test]
fn a_second_trigger_while_a_job_runs_is_skipped_not_overlapped() {
    let dir = tempfile::tempdir().unwrap();
    let command = slow_scanner(dir.path(), 1.5);
    let app = spawn_app_with(move |c| {
        c.scan.scanner = ScannerKind::Command;
        c.scan.command = command;
        c.scan.mode = ScanMode::Async;
    });
    let (_, key) = app.user_with_key("alice");
    assert_eq!(app.push(Some(&key), &nupkg("Acme.Core", "1.0.0")).status(), 202);
    wait_for(&app, "Acme.Core", "1.0.0", |s, _| s == "available");

    let state = app.state.clone();
    let first = std::thread::spawn(move || Job::Rescan.run(&state).unwrap());
    std::thread::sleep(Duration::from_millis(400));
    // In-process trigger (the scheduler firing again) and another process (the CLI) both skip.
    assert_eq!(Job::Rescan.run(&app.state).unwrap(), None);
    let out = app.command().args(["rescan", "--data-dir"]).arg(&app.state.config.data_dir).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("job skipped: the previous run has not finished"), "logged: {stderr}");
    assert_eq!(stderr.lines().last(), Some("error: rescan is already running; try again when it has finished"));
    // Other jobs are not blocked by it.
    assert!(Job::Reindex.run(&app.state).unwrap().is_some());
    assert_eq!(first.join().unwrap().as_deref(), Some("1 scanned, 0 quarantined, 0 scan errors"));
    assert!(Job::Rescan.run(&app.state).unwrap().is_some(), "runs again once the first finished");
}

#[test]
fn galley_rescan_from_a_shell_quarantines_and_the_running_server_hides_it() {
    let dir = tempfile::tempdir().unwrap();
    let denylist = dir.path().join("deny.txt");
    std::fs::write(&denylist, "").unwrap();
    let deny = denylist.to_string_lossy().into_owned();
    let app = spawn_app_with({
        let deny = deny.clone();
        move |c| c.scan.builtin_denylist = deny
    });
    let (_, key) = app.user_with_key("alice");
    let payload = b"bad bytes".as_slice();
    assert_eq!(app.push(Some(&key), &payload_package("Acme.Core", "1.0.0", payload)).status(), 201);
    assert_eq!(app.push(Some(&key), &nupkg("Acme.Core", "0.9.0")).status(), 201);
    assert!(visible(&app, "Acme.Core", "1.0.0"), "and the server now holds its documents in memory");
    std::fs::write(&denylist, format!("{}\n", hex::encode(Sha256::digest(payload)))).unwrap();

    let out = app
        .command()
        .args(["rescan", "--id", "acme.core", "--data-dir"])
        .arg(&app.state.config.data_dir)
        .env("GALLEY_SCAN__BUILTIN_DENYLIST", &deny)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Rescan: 2 scanned, 1 quarantined, 0 scan errors (Acme.Core 1.0.0: Denylisted-SHA256)."
    );
    // Another process changed the documents; the server notices without a restart.
    assert!(crate::scan::hidden_soon(&app, "Acme.Core", "1.0.0"));
    assert_eq!(app.get_json("/v3/flatcontainer/acme.core/index.json")["versions"], serde_json::json!(["0.9.0"]));
}

#[test]
fn reindex_repairs_and_reports_drift() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push(Some(&key), &nupkg("Acme.Core", "1.0.0"));
    app.push(Some(&key), &nupkg("Other.Lib", "1.0.0"));
    app.sql("DELETE FROM package_search WHERE package_id = 'Acme.Core'");
    assert_eq!(app.get_json("/v3/query?q=Acme")["totalHits"], 0);
    assert_eq!(
        Job::Reindex.run(&app.state).unwrap().unwrap(),
        "search index rebuilt, 1 packages drifted and were repaired; 2 ids re-rendered"
    );
    assert_eq!(app.get_json("/v3/query?q=Acme")["totalHits"], 1);
    let out = app.command().args(["reindex", "--data-dir"]).arg(&app.state.config.data_dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "reindex: search index rebuilt, 0 packages drifted and were repaired; 2 ids re-rendered."
    );
}

#[test]
fn purge_expired_deletes_only_expired_rows() {
    let app = spawn_app();
    let (alice, key) = app.user_with_key("alice");
    let bob = app.create_user("bob", false);
    app.push(Some(&key), &nupkg("Acme.Core", "1.0.0"));
    app.push(Some(&key), &nupkg("Other.Lib", "1.0.0"));
    let conn = app.db();
    let db: &dyn galley::db::sql::Sql = &conn;
    let mut hash = 0_u8;
    let mut token = || {
        hash += 1;
        vec![hash; 16]
    };
    for (package, expires) in [("acme.core", "2000-01-01T00:00:00.000Z"), ("other.lib", "2999-01-01T00:00:00.000Z")] {
        db.execute(
            "INSERT INTO owner_invitations (package_key, invitee_id, inviter_id, token_hash, created_at, expires_at)
             SELECT id, ?2, ?3, ?5, '2000-01-01T00:00:00.000Z', ?4 FROM packages WHERE id_lower = ?1",
            galley::values![package, bob, alice, expires, token()],
        )
        .unwrap();
    }
    for expires in ["2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z"] {
        db.execute(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?3, ?1, ?2, ?2)",
            galley::values![bob, expires, token()],
        )
        .unwrap();
    }
    assert_eq!(
        Job::PurgeExpired.run(&app.state).unwrap().unwrap(),
        "deleted expired rows: 1 owner_invitations, 1 sessions, 0 email_tokens; removed leftovers: 0 upload temp files, 0 staging files, 0 empty folders"
    );
    assert_eq!(app.count("SELECT count(*) FROM owner_invitations"), 1);
    assert_eq!(app.count("SELECT count(*) FROM sessions"), 1);
}

#[test]
fn the_scheduler_runs_retry_validating_on_its_cron() {
    let dir = tempfile::tempdir().unwrap();
    let flag = dir.path().join("up");
    let script = dir.path().join("scan.sh");
    std::fs::write(&script, format!("#!/bin/sh\n[ -f '{}' ] && exit 0\nexit 2\n", flag.display())).unwrap();
    let command = vec!["/bin/sh".into(), script.to_string_lossy().into_owned(), "{path}".into()];
    let app = spawn_app_with(move |c| {
        c.scan.scanner = ScannerKind::Command;
        c.scan.command = command;
        c.scan.retry_base_seconds = 1;
        c.scan.retry_max_seconds = 1;
        c.jobs.retry_validating = "* * * * * *".into();
    });
    let (_, key) = app.user_with_key("alice");
    assert_eq!(app.push(Some(&key), &nupkg("Acme.Core", "1.0.0")).status(), 202);
    std::fs::write(&flag, "").unwrap();
    let state = app.state.clone();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut scheduler = runtime.block_on(jobs::start(&state)).unwrap().expect("jobs enabled");
    wait_for(&app, "Acme.Core", "1.0.0", |s, _| s == "available");
    runtime.block_on(scheduler.shutdown()).unwrap();
    assert_eq!(status(&app, "Acme.Core", "1.0.0").unwrap().0, "available");
}

#[test]
fn a_bad_cron_expression_names_its_key() {
    let app = spawn_app_with(|c| c.jobs.rescan = "every night".into());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Err(err) = runtime.block_on(jobs::start(&app.state)) else { panic!("accepted a bad cron expression") };
    let err = err.to_string();
    assert!(err.starts_with("[jobs] rescan = 'every night' is not a valid cron expression"), "{err}");
}

#[test]
fn galley_job_runs_any_job_by_name() {
    let app = spawn_app();
    let out =
        app.command().args(["job", "retry-validating", "--data-dir"]).arg(&app.state.config.data_dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "retry-validating: 0 published, 0 failed validation, 0 still waiting."
    );
}

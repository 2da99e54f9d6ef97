//! Data safety (issue 13): a push is all or nothing, files without a row never decide a push,
//! leftovers are swept, rendered documents follow the database, and the server refuses writes it
//! cannot keep (full, read-only or replaced data folder) with a clear answer.
use crate::helpers::{nupkg, spawn_app, spawn_app_with, status_text, TestApp};
use galley::services::recovery;
use std::fs;
use std::path::PathBuf;

const DISK_FULL: &str =
    "The server is out of disk space, so nothing was stored. Try again after an administrator has freed space.";

fn download(app: &TestApp, id: &str, version: &str) -> (u16, Vec<u8>) {
    let r = app.get(&format!("/v3/flatcontainer/{id}/{version}/{id}.{version}.nupkg"));
    (r.status().as_u16(), r.bytes().unwrap().to_vec())
}

fn version_dir(app: &TestApp, id: &str, version: &str) -> PathBuf {
    app.state.config.packages_dir().join(id).join(version)
}

/// Every file below `dir`, as paths relative to it.
fn files_below(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                found.push(e.path().strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn files_without_a_row_never_decide_a_push() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    // A crash between storing and committing left other bytes where acme.core 1.0.0 would go.
    let dir = version_dir(&app, "acme.core", "1.0.0");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("acme.core.1.0.0.nupkg"), b"left by a crash").unwrap();
    let package = nupkg("Acme.Core", "1.0.0");
    let r = app.push(Some(&key), &package);
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    assert_eq!(download(&app, "acme.core", "1.0.0"), (200, package.clone()));
    // The orphan was moved aside, not lost.
    let lost = files_below(&app.state.config.lost_found_dir());
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert!(lost[0].ends_with("packages/acme.core/1.0.0/acme.core.1.0.0.nupkg"), "{lost:?}");
    // A real version still decides: the same number with other bytes is refused.
    let (status, text) =
        status_text(app.push(Some(&key), &crate::helpers::nupkg_extra("Acme.Core", "1.0.0", "<tags>x</tags>")));
    assert_eq!(status, 409);
    assert_eq!(text, "A package with id 'Acme.Core' and version '1.0.0' already exists and cannot be modified.");
}

#[test]
fn the_start_up_sweep_moves_orphans_and_removes_leftovers() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push_ok(&key, "Acme.Core", "1.0.0");
    let packages = app.state.config.packages_dir();
    // An orphan (no row), a staging file beside a real version, an empty version folder, an
    // upload temp file, a staging file in the rendered documents.
    fs::create_dir_all(packages.join("ghost/2.0.0")).unwrap();
    fs::write(packages.join("ghost/2.0.0/ghost.2.0.0.nupkg"), b"orphan").unwrap();
    fs::write(packages.join("acme.core/1.0.0/.tmpAbC123"), b"half a copy").unwrap();
    fs::create_dir_all(packages.join("acme.core/9.9.9")).unwrap();
    fs::write(app.state.config.tmp_dir().join(".tmpUpload"), b"half an upload").unwrap();
    fs::write(app.state.config.cache_dir().join("acme.core/.tmpDoc"), b"half a document").unwrap();

    let report = recovery::sweep_at_start(&app.state).unwrap();
    assert_eq!(
        report.to_string(),
        "1 orphan version folders moved to lost+found, 1 upload temp files and 2 staging files removed, 1 empty folders removed, 0 unbacked document folders removed, 0 ids to render"
    );
    assert_eq!(files_below(&packages), ["acme.core/1.0.0/acme.core.1.0.0.nupkg", "acme.core/1.0.0/acme.core.nuspec"]);
    assert!(files_below(&app.state.config.tmp_dir()).is_empty());
    assert!(files_below(&app.state.config.lost_found_dir())[0].ends_with("packages/ghost/2.0.0/ghost.2.0.0.nupkg"));
    // A second sweep finds nothing: the first left a clean folder.
    assert_eq!(recovery::sweep_at_start(&app.state).unwrap(), recovery::StartReport::default());
    // The swept id+version can be pushed.
    app.push_ok(&key, "Ghost", "2.0.0");
}

/// Sets a file's or folder's modification time `ago` in the past.
fn age(path: &std::path::Path, ago: std::time::Duration) {
    let when = std::time::SystemTime::now() - ago;
    fs::File::open(path).unwrap().set_times(fs::FileTimes::new().set_modified(when)).unwrap();
}

#[test]
fn after_a_clean_stop_on_the_same_database_the_sweep_runs_while_serving() {
    use galley::services::recovery::SweepTiming::{BeforeServing, WhileServing};
    let app = spawn_app();
    if app.skip_on_postgres("the database is changed by hand through SQLite") {
        return;
    }
    let (_, key) = app.user_with_key("alice");
    app.push_ok(&key, "Acme.Core", "1.0.0");
    // A new data folder has no recorded database: the first start sweeps first.
    assert_eq!(recovery::sweep_timing(&app.state), BeforeServing);
    let config = (*app.state.config).clone();
    let reopen = || galley::state::AppState::open(config.clone()).unwrap();
    app.state.finish();
    let second = reopen();
    assert_eq!(recovery::sweep_timing(&second), WhileServing, "a clean stop, the same database");

    // While serving, the sweep takes only what is older than the process: an orphan from before
    // it goes to lost+found, a version folder written since (a push in flight) stays.
    let packages = config.packages_dir();
    for (dir, ago) in [("ghost/2.0.0", 3600), ("young/1.0.0", 0)] {
        fs::create_dir_all(packages.join(dir)).unwrap();
        fs::write(packages.join(dir).join("x.nupkg"), b"orphan").unwrap();
        age(&packages.join(dir), std::time::Duration::from_secs(ago));
    }
    fs::create_dir_all(config.cache_dir().join("gone.lib")).unwrap();
    let started = std::time::SystemTime::now();
    let report = recovery::sweep_while_serving(&second, started).unwrap();
    assert_eq!((report.orphans, report.docs_removed, report.docs_stale), (1, 1, 0), "{report}");
    assert!(!packages.join("ghost").exists() && packages.join("young/1.0.0/x.nupkg").exists());
    assert!(!config.cache_dir().join("gone.lib").exists());
    assert_eq!(download(&app, "acme.core", "1.0.0").0, 200);
    second.finish();

    // A database changed while no server ran, by something that did not record it (a copy put
    // back by hand): the documents may not match it, so the sweep runs before serving.
    let conn = galley::db::recovery::open_plain(&config.database_path()).unwrap();
    conn.execute("UPDATE packages SET docs_changes = docs_changes + 1", []).unwrap();
    drop(conn);
    let third = reopen();
    assert_eq!(recovery::sweep_timing(&third), BeforeServing, "the database changed while stopped");
    third.finish();
    assert_eq!(recovery::sweep_timing(&reopen()), WhileServing, "recorded again at the clean stop");
    // The state above was dropped without `finish`: a crash.
    assert_eq!(recovery::sweep_timing(&reopen()), BeforeServing, "after a crash");
}

#[test]
fn purge_expired_removes_leftovers_older_than_an_hour() {
    let app = spawn_app();
    let old = app.state.config.tmp_dir().join("upload-old");
    let new = app.state.config.tmp_dir().join("upload-new");
    fs::write(&old, b"x").unwrap();
    fs::write(&new, b"y").unwrap();
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_hours(2);
    fs::File::options().write(true).open(&old).unwrap().set_modified(two_hours_ago).unwrap();
    let report = galley::services::maintenance::purge_expired(&app.state, app.state.clock.now()).unwrap();
    assert_eq!(report.leftovers, [("upload temp files", 1), ("staging files", 0), ("empty folders", 0)]);
    assert!(!old.exists() && new.exists(), "an upload in flight is younger and kept");
}

#[test]
fn missing_documents_are_found_at_start_and_rendered_again() {
    // A hand-made backup: database and packages, no rendered documents.
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    for id in ["Acme.Core", "Acme.Web", "Other.Lib"] {
        app.push_ok(&key, id, "1.0.0");
    }
    let cache = app.state.config.cache_dir();
    for id in ["acme.core", "acme.web", "other.lib"] {
        fs::remove_dir_all(cache.join(id)).unwrap();
    }
    // And documents for an id the database does not have (a deleted data folder's leftovers).
    fs::create_dir_all(cache.join("ghost")).unwrap();
    fs::write(cache.join("ghost/CURRENT"), b"abc").unwrap();

    let report = recovery::sweep_at_start(&app.state).unwrap();
    assert_eq!((report.docs_removed, report.docs_stale), (1, 3));
    assert!(!cache.join("ghost").exists());
    assert_eq!(recovery::render_in_background(&app.state).unwrap(), 3);
    for id in ["acme.core", "acme.web", "other.lib"] {
        assert_eq!(app.get(&format!("/v3/flatcontainer/{id}/index.json")).status(), 200, "{id}");
        assert_eq!(download(&app, id, "1.0.0").0, 200, "{id}");
    }
    assert_eq!(app.get("/v3/flatcontainer/ghost/index.json").status(), 404);
}

/// The one pack file of an id's current documents.
fn pack_of(app: &TestApp, id: &str) -> PathBuf {
    let packs: Vec<PathBuf> = fs::read_dir(app.state.config.cache_dir().join(id))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pack"))
        .collect();
    assert_eq!(packs.len(), 1, "{packs:?}");
    packs[0].clone()
}

#[test]
fn a_damaged_document_pack_is_rendered_again_not_served() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push_ok(&key, "Acme.Core", "1.0.0");
    app.push_ok(&key, "Acme.Web", "1.0.0");
    // A flipped bit in the last document (the legacy registration index), and a pack cut inside
    // its offset table while the server holds that table in memory.
    let flipped = pack_of(&app, "acme.core");
    let mut bytes = fs::read(&flipped).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    fs::write(&flipped, bytes).unwrap();
    let cut = pack_of(&app, "acme.web");
    fs::File::options().write(true).open(&cut).unwrap().set_len(30).unwrap();

    for (id, damaged) in [("acme.core", flipped), ("acme.web", cut)] {
        let r = app.get(&format!("/v3/registration/{id}/index.json"));
        assert_eq!(r.status(), 200, "{id}");
        let index: serde_json::Value = r.json().unwrap();
        assert_eq!(index["items"][0]["items"][0]["catalogEntry"]["version"], "1.0.0", "{id}");
        let r = app.get(&format!("/v3/flatcontainer/{id}/index.json"));
        assert_eq!(r.status(), 200, "{id}");
        assert_eq!(r.json::<serde_json::Value>().unwrap(), serde_json::json!({ "versions": ["1.0.0"] }), "{id}");
        // Rendered again under a new generation; the damaged file is gone.
        assert!(!damaged.exists(), "{id}");
        assert_ne!(pack_of(&app, id), damaged, "{id}");
    }
}

/// Right after an upgrade from a version before packs, an id's folder still holds the old layout
/// (a `CURRENT` file naming a folder of documents) until the start-up check renders it again: a
/// restore in that window is answered from a pack rendered on the spot, never with a 404.
#[test]
fn documents_in_the_layout_before_packs_are_packed_at_their_first_request() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push_ok(&key, "Acme.Core", "1.0.0");
    let id_dir = app.state.config.cache_dir().join("acme.core");
    fs::remove_file(pack_of(&app, "acme.core")).unwrap();
    fs::remove_file(id_dir.join("CURRENT")).unwrap();
    fs::create_dir(id_dir.join("old-generation")).unwrap();
    fs::write(id_dir.join("old-generation").join("index.json"), r#"{"versions":["1.0.0"]}"#).unwrap();
    fs::write(id_dir.join("CURRENT"), "old-generation").unwrap();
    // The server rechecks an id's pointer once a second.
    std::thread::sleep(std::time::Duration::from_millis(1100));

    let r = app.get("/v3/flatcontainer/acme.core/index.json");
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().unwrap(), serde_json::json!({ "versions": ["1.0.0"] }));
    assert!(fs::symlink_metadata(id_dir.join("CURRENT")).unwrap().file_type().is_symlink());
    assert!(pack_of(&app, "acme.core").exists());
}

#[test]
fn a_stopped_background_render_resumes_from_the_database() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    for id in ["A.One", "A.Two", "A.Three"] {
        app.push_ok(&key, id, "1.0.0");
    }
    // An unclean stop: every id must be rendered again, and SIGTERM comes at once.
    assert_eq!(app.state.docs.mark_for_repair(&app.state.db).unwrap(), 3);
    app.state.docs.stop();
    assert_eq!(app.state.docs.render_stale(&app.state.db).unwrap(), 0, "stops before the next id");
    // The work left is recorded in the database, where the next start finds it.
    assert_eq!(app.count("SELECT count(*) FROM packages WHERE docs_rendered < docs_changes"), 3);
    assert_eq!(app.get_json("/health")["jobs"]["documents_to_render"], 3);
}

#[test]
fn a_full_disk_refuses_the_push_with_507_and_stores_nothing() {
    // More free space asked for than any disk has: the state a full disk puts the server in.
    let app = spawn_app_with(|c| c.storage.min_free_mb = u64::MAX / (1024 * 1024));
    let (_, key) = app.user_with_key("alice");
    let r = app.push(Some(&key), &nupkg("Acme.Core", "1.0.0"));
    assert_eq!(r.status(), 507);
    assert_eq!(r.text().unwrap(), DISK_FULL);
    assert_eq!(app.stored(), (0, 0, 0));
    let health = app.get("/health");
    assert_eq!(health.status(), 503);
    let body: serde_json::Value = health.json().unwrap();
    assert_eq!(body["data_dir"]["status"], "low-space");
    assert_eq!(body["accepts_pushes"], false);
}

#[test]
fn a_push_whose_documents_cannot_be_written_is_taken_back() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    app.push_ok(&key, "Acme.Core", "1.0.0");
    // Rendering acme.core fails (as on a full disk): a file where its folder should be.
    let id_dir = app.state.config.cache_dir().join("acme.core");
    let saved = app.state.config.data_dir.join("saved-docs");
    fs::rename(&id_dir, &saved).unwrap();
    fs::write(&id_dir, b"not a folder").unwrap();
    let r = app.push(Some(&key), &nupkg("Acme.Core", "2.0.0"));
    assert_eq!(r.status(), 500);
    // Nothing of 2.0.0 is recorded: no row, no audit entry, no file; 1.0.0 is untouched.
    assert_eq!(app.count("SELECT count(*) FROM package_versions WHERE version_lower = '2.0.0'"), 0);
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE version = '2.0.0'"), 0);
    assert!(!version_dir(&app, "acme.core", "2.0.0").exists());
    assert_eq!(app.stored(), (1, 1, 2));
    // Once the disk is fixed, the same push succeeds.
    fs::remove_file(&id_dir).unwrap();
    fs::rename(&saved, &id_dir).unwrap();
    app.push_ok(&key, "Acme.Core", "2.0.0");
    assert_eq!(download(&app, "acme.core", "2.0.0").0, 200);

    // A new id whose documents fail: the package row goes too.
    fs::write(app.state.config.cache_dir().join("new.lib"), b"not a folder").unwrap();
    assert_eq!(app.push(Some(&key), &nupkg("New.Lib", "1.0.0")).status(), 500);
    assert_eq!(app.count("SELECT count(*) FROM packages WHERE id_lower = 'new.lib'"), 0);
    assert_eq!(app.get_json("/v3/query?q=New.Lib")["totalHits"], 0);
}

#[test]
fn a_replaced_database_refuses_writes_and_health_says_so() {
    let app = spawn_app();
    if app.skip_on_postgres("watches the SQLite file") {
        return;
    }
    let (_, key) = app.user_with_key("alice");
    app.push_ok(&key, "Acme.Core", "1.0.0");
    assert_eq!(app.get("/health").status(), 200);
    // Someone deletes the database file under the running server and another one appears.
    let db = app.state.config.database_path();
    fs::rename(&db, db.with_extension("old")).unwrap();
    fs::write(&db, b"").unwrap();
    let r = app.push(Some(&key), &nupkg("Acme.Core", "2.0.0"));
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(
        r.text().unwrap(),
        "The server's data folder was removed or replaced while it ran; nothing was stored. An administrator must restore it and restart the server."
    );
    assert!(!version_dir(&app, "acme.core", "2.0.0").exists());
    let health = app.get("/health");
    assert_eq!(health.status(), 503);
    let body: serde_json::Value = health.json().unwrap();
    assert_eq!(body["data_dir"]["status"], "replaced");
    assert!(body["data_dir"]["problem"].as_str().unwrap().contains("database file"), "{body}");
}

#[test]
fn health_reports_the_data_folder_and_the_queues() {
    let app = spawn_app();
    let body = app.get_json("/health");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["data_dir"]["status"], "ok");
    assert_eq!(body["data_dir"]["min_free_mb"], 100);
    assert!(body["data_dir"]["free_mb"].as_u64().unwrap() >= 100);
    assert_eq!(body["mail_queue"], serde_json::json!({ "queued": 0, "failed": 0 }));
    assert_eq!(body["validating"], 0);
    assert_eq!(body["jobs"], serde_json::json!({ "documents_to_render": 0, "start_up_sweep": "done" }));
    assert!(body["scanner"].is_string());
}

#[test]
fn a_second_server_on_a_taken_port_fails_before_touching_the_data_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let config = galley::config::Config { data_dir: data.clone(), ..galley::config::Config::default() };
    // A data folder that was closed cleanly: the marker that spares a full render is there.
    galley::state::AppState::open(config).unwrap().finish();
    let marker = data.join("cache/.flushed");
    assert!(marker.exists());
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let out = crate::helpers::galley_command()
        .args(["serve", "--listen", &taken.local_addr().unwrap().to_string(), "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Address already in use"), "{stderr}");
    assert!(marker.exists(), "the failed start left the clean-stop marker alone");
}

/// What a client sees of `ids` on `app`, with the server's own address taken out.
fn feed_answers(app: &TestApp, ids: &[(&str, &str)]) -> Vec<(String, u16, Vec<u8>)> {
    let mut answers = Vec::new();
    for (id, version) in ids {
        for path in [
            format!("/v3/flatcontainer/{id}/index.json"),
            format!("/v3/flatcontainer/{id}/{version}/{id}.{version}.nupkg"),
            format!("/v3/registration/{id}/index.json"),
            format!("/v3/query?q=packageid:{id}"),
        ] {
            let r = app.get(&path);
            let status = r.status().as_u16();
            let body = String::from_utf8_lossy(&r.bytes().unwrap()).replace(&app.base, "BASE").into_bytes();
            answers.push((path, status, body));
        }
    }
    answers
}

#[test]
fn a_backup_restores_to_a_server_that_answers_like_the_original() {
    let app = spawn_app();
    if app.skip_on_postgres("backup copies the SQLite file (pg_dump on PostgreSQL)") {
        return;
    }
    let (_, key) = app.user_with_key("alice");
    let ids = [("acme.core", "1.0.0"), ("acme.core", "2.0.0"), ("other.lib", "3.1.0")];
    for (id, version) in ids {
        app.push_ok(&key, id, version);
    }
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("backup");
    let report = galley::services::backup::backup(&app.state.config, &dest, &|_| {}, &|| {}).unwrap();
    assert_eq!((report.versions, report.files, report.linked), (3, 6, 6), "{report}");
    assert!(report.missing.is_empty());
    // A backup never goes over an existing one.
    let again = galley::services::backup::backup(&app.state.config, &dest, &|_| {}, &|| {});
    assert!(again.unwrap_err().to_string().ends_with("is not empty; back up into a new or empty folder"));

    let restored_dir = tmp.path().join("restored");
    let config = galley::config::Config { data_dir: restored_dir.clone(), ..(*app.state.config).clone() };
    galley::services::backup::restore(&dest, &config, false, &|_| {}, &|| {}).unwrap();
    let refused = galley::services::backup::restore(&dest, &config, false, &|_| {}, &|| {}).unwrap_err();
    assert!(refused
        .to_string()
        .ends_with("is not empty; restore into a new or empty folder, or pass --force to replace what it holds"));
    galley::services::backup::restore(&dest, &config, true, &|_| {}, &|| {}).unwrap();

    let copy = spawn_app_with(|c| c.data_dir = restored_dir);
    recovery::sweep_at_start(&copy.state).unwrap();
    recovery::render_in_background(&copy.state).unwrap();
    let original = feed_answers(&app, &ids);
    let restored = feed_answers(&copy, &ids);
    assert_eq!(original.len(), 12);
    for (a, b) in original.iter().zip(&restored) {
        assert_eq!(a.1, 200, "{}", a.0);
        assert_eq!(a, b, "{}", a.0);
    }
    // The API key still works: the server key came along.
    copy.push_ok(&key, "New.Lib", "1.0.0");
}

#[test]
fn check_finds_damage_and_repair_fixes_what_the_database_can_rebuild() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    for (id, version) in [("acme.core", "1.0.0"), ("acme.web", "1.0.0"), ("other.lib", "1.0.0")] {
        app.push_ok(&key, id, version);
    }
    assert_eq!(galley::services::check::check(&app.state, false).unwrap().unresolved(), 0);
    // Damage: a lost file, an altered file, an orphan, lost documents, a search row gone.
    fs::remove_file(version_dir(&app, "acme.core", "1.0.0").join("acme.core.1.0.0.nupkg")).unwrap();
    fs::write(version_dir(&app, "acme.web", "1.0.0").join("acme.web.1.0.0.nupkg"), b"tampered").unwrap();
    fs::create_dir_all(version_dir(&app, "ghost", "1.0.0")).unwrap();
    fs::write(version_dir(&app, "ghost", "1.0.0").join("ghost.1.0.0.nupkg"), b"x").unwrap();
    fs::remove_dir_all(app.state.config.cache_dir().join("other.lib")).unwrap();
    app.sql("DELETE FROM package_search WHERE rowid = (SELECT id FROM packages WHERE id_lower = 'other.lib')");

    let found = galley::services::check::check(&app.state, false).unwrap();
    assert_eq!(found.versions_checked, 3);
    assert_eq!(found.bad_files.len(), 2, "{found}");
    assert!(found.bad_files[0].starts_with("acme.core 1.0.0: missing"), "{found}");
    assert!(found.bad_files[1].starts_with("acme.web 1.0.0: 8 bytes"), "{found}");
    assert_eq!(found.orphans, ["packages/ghost/1.0.0"]);
    assert_eq!(found.docs_stale, ["other.lib"]);
    assert_eq!(found.search_drift, 1);
    // PostgreSQL's files are checked with its own tools (amcheck), not by galley check.
    assert_eq!(found.integrity.as_deref(), (!app.on_postgres()).then_some("ok"));
    assert_eq!(found.unresolved(), 5);

    let repaired = galley::services::check::check(&app.state, true).unwrap();
    assert_eq!(repaired.repaired.len(), 3, "{repaired}");
    assert_eq!(repaired.unresolved(), 2, "only the package files cannot be rebuilt");
    let after = galley::services::check::check(&app.state, false).unwrap();
    assert_eq!((after.orphans.len(), after.docs_stale.len(), after.search_drift), (0, 0, 0), "{after}");
    assert_eq!(after.bad_files.len(), 2);
    assert_eq!(app.get("/v3/flatcontainer/other.lib/index.json").status(), 200);
    assert_eq!(app.get_json("/v3/query?q=other.lib")["totalHits"], 1);
}

#[test]
fn a_held_write_lock_leaves_reads_alone_and_pushes_get_503() {
    let app = spawn_app();
    if app.skip_on_postgres("holds SQLite's write lock") {
        return;
    }
    let (_, key) = app.user_with_key("alice");
    app.push_ok(&key, "Acme.Core", "1.0.0");
    // Another process holds the write lock (a long import, an sqlite3 shell).
    let blocker = rusqlite::Connection::open(app.state.config.database_path()).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let pushes: Vec<(u16, Option<String>, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let (app, key) = (&app, &key);
                s.spawn(move || {
                    let r = app.push(Some(key), &nupkg(&format!("Queued.Lib{i}"), "1.0.0"));
                    let retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
                    (r.status().as_u16(), retry, r.text().unwrap())
                })
            })
            .collect();
        // While the pushes wait for the lock, reads answer from their own connections.
        for _ in 0..10 {
            assert_eq!(app.get("/health").status(), 200);
            assert_eq!(app.get_json("/v3/query?q=Acme.Core")["totalHits"], 1);
        }
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    blocker.execute_batch("ROLLBACK").unwrap();
    for push in &pushes {
        assert_eq!(
            push,
            &(
                503,
                Some("5".to_owned()),
                "The server's database is busy with another change; try again in a few seconds.".to_owned()
            )
        );
    }
    assert_eq!(app.stored(), (1, 1, 2), "nothing of the refused pushes was stored");
    app.push_ok(&key, "Queued.Lib0", "1.0.0");
}

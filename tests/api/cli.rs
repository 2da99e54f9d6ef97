//! The command-line contract: users' scripts depend on these exact commands and outputs.
use crate::helpers::{nupkg, nupkg_named};
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

fn galley(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = crate::helpers::galley_command()
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .current_dir(dir.parent().unwrap())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_describes_every_command() {
    let out = crate::helpers::galley_command().arg("--help").output().unwrap();
    let help = text(&out.stdout);
    for cmd in ["serve", "user", "apikey", "import", "owner"] {
        assert!(help.contains(cmd), "{help}");
    }
    let out = crate::helpers::galley_command().args(["serve", "--help"]).output().unwrap();
    let help = text(&out.stdout);
    for flag in ["--config", "--listen", "--data-dir", "--base-url"] {
        assert!(help.contains(flag), "{help}");
    }
    let out = crate::helpers::galley_command().args(["apikey", "create", "--help"]).output().unwrap();
    let help = text(&out.stdout);
    for flag in ["--user", "--name", "--scopes", "--glob", "--expires-in-days", "--data-dir", "--config"] {
        assert!(help.contains(flag), "{help}");
    }
}

#[test]
fn user_add_and_apikey_create_print_the_key_alone_on_the_last_line() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = galley(
        &data,
        &["user", "add", "alice", "--email", "alice@example.com", "--password-stdin"],
        Some("correct horse\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = galley(
        &data,
        &["user", "add", "alice", "--email", "other@example.com", "--password-stdin"],
        Some("correct horse\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr).trim(), "error: That username or email address is already registered.");
    let out = galley(&data, &["user", "add", "bob", "--email", "bob@example.com", "--password-stdin"], Some("short\n"));
    assert_eq!(text(&out.stderr).trim(), "error: The password must be at least 8 characters long.");

    let out = galley(
        &data,
        &[
            "apikey",
            "create",
            "--user",
            "alice",
            "--name",
            "ci",
            "--scopes",
            "push",
            "--glob",
            "Acme.*",
            "--expires-in-days",
            "30",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let key = stdout.lines().last().unwrap();
    assert!(key.starts_with("gly_") && !key.contains(' '), "{stdout}");

    let out = galley(&data, &["apikey", "list", "--user", "alice"], None);
    let listing = text(&out.stdout);
    assert!(listing.contains("Acme.*") && listing.contains("push") && !listing.contains(key), "{listing}");

    let out = galley(&data, &["apikey", "create", "--user", "alice", "--scopes", "delete"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr).trim(), "error: unknown scope 'delete'; use push, push-version or unlist");
    let out = galley(&data, &["apikey", "create", "--user", "nobody"], None);
    assert_eq!(text(&out.stderr).trim(), "error: There is no user named 'nobody'.");
    let out = galley(&data, &["apikey", "create", "--user", "alice", "--expires-in-days", "400"], None);
    assert_eq!(text(&out.stderr).trim(), "error: An API key expires after 1 to 365 days, not 400.");
}

#[test]
fn a_bad_config_file_names_the_key_and_line_and_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("bad.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:5000\"\n\n[publish]\ndelete_mode = \"shred\"\n").unwrap();
    let out = crate::helpers::galley_command().args(["user", "list", "--config"]).arg(&config).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("line 4") && err.contains("delete_mode") && err.contains("bad.toml"), "{err}");
    let out = crate::helpers::galley_command()
        .args(["user", "list"])
        .env("GALLEY_LISTEN", "not-an-address")
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("listen = 'not-an-address'"));
}

#[test]
fn newer_database_is_refused_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let conn = rusqlite::Connection::open(data.join("galley.db")).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let out = galley(&data, &["user", "list"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("the database is at schema version 99 but this galley knows only up to"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn import_stores_packages_skips_duplicates_and_reports_bad_files() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let share = tmp.path().join("share");
    // A flat file share, a NuGet.Server-style folder and the hierarchical id/version layout.
    std::fs::create_dir_all(share.join("flat")).unwrap();
    std::fs::create_dir_all(share.join("Packages/acme.core/1.0.0")).unwrap();
    std::fs::write(share.join("flat/Other.Lib.1.0.0.nupkg"), nupkg("Other.Lib", "1.0.0")).unwrap();
    std::fs::write(share.join("flat/Other.Lib.2.0.0.nupkg"), nupkg("Other.Lib", "2.0.0")).unwrap();
    std::fs::write(share.join("Packages/acme.core/1.0.0/acme.core.1.0.0.nupkg"), nupkg("Acme.Core", "1.0.0")).unwrap();
    std::fs::write(share.join("flat/broken.nupkg"), b"not a zip").unwrap();
    std::fs::write(share.join("flat/no-nuspec.nupkg"), nupkg_named("", "x", &[]).get(..10).unwrap_or_default())
        .unwrap();
    std::fs::write(share.join("flat/readme.txt"), b"ignored").unwrap();

    let out = galley(&data, &["import", share.to_str().unwrap()], None);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("Imported 3 packages, skipped 0 duplicates, 2 failed (of 5 found)."), "{stdout}");
    assert!(
        stderr.contains("broken.nupkg: The package is invalid: The package is not a valid zip archive."),
        "{stderr}"
    );

    let out = galley(
        &data,
        &["import", share.join("flat").to_str().unwrap(), share.join("Packages").to_str().unwrap()],
        None,
    );
    assert!(
        text(&out.stdout).contains("Imported 0 packages, skipped 3 duplicates, 2 failed (of 5 found)."),
        "{}",
        text(&out.stdout)
    );

    let conn = rusqlite::Connection::open(data.join("galley.db")).unwrap();
    let versions: i64 = conn.query_row("SELECT count(*) FROM package_versions", [], |r| r.get(0)).unwrap();
    assert_eq!(versions, 3);
    assert!(data.join("packages/acme.core/1.0.0/acme.core.1.0.0.nupkg").exists());
}

//! `galley migrate --to-database` against the real PostgreSQL of `tests/postgres/run.py`, which
//! runs these ignored tests with `GALLEY_TEST_POSTGRES_URL` set (`-- --ignored pg_migrate`):
//! an install seeded through the server copied and read back through the SQL layer, an
//! interrupted copy resumed, a second run that only verifies, and each refusal with its exact
//! message and nothing written.
use crate::helpers::{galley_command, nupkg_extra, spawn_app, spawn_app_with, status_text, TestApp};
use galley::db::sql::{Postgres, Sql};
use std::path::Path;
use std::process::Output;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

/// These need the server `tests/postgres/run.py` names; the test command's in-process step runs
/// every ignored test too (`--include-ignored`, for the real-clamd test) without one, and there
/// they skip.
fn server_named() -> bool {
    let named = std::env::var_os("GALLEY_TEST_POSTGRES_URL").is_some();
    if !named {
        eprintln!("skipped: no GALLEY_TEST_POSTGRES_URL (tests/postgres/run.py sets it)");
    }
    named
}

/// A database of its own on the test server, dropped when done.
struct Scratch {
    admin: postgres::Config,
    name: String,
}

impl Scratch {
    fn create() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let url = std::env::var("GALLEY_TEST_POSTGRES_URL")
            .expect("run through tests/postgres/run.py, which sets GALLEY_TEST_POSTGRES_URL");
        let admin = postgres::Config::from_str(&url).unwrap();
        let name = format!("galley_mig_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
        let mut client = admin.connect(postgres::NoTls).unwrap();
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
        client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        Self { admin, name }
    }

    fn url(&self) -> String {
        let host = match self.admin.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.clone(),
            _ => "127.0.0.1".into(),
        };
        let port = self.admin.get_ports().first().copied().unwrap_or(5432);
        format!("postgres://{}@{host}:{port}/{}", self.admin.get_user().unwrap_or("postgres"), self.name)
    }

    fn connect(&self) -> postgres::Client {
        let mut config = self.admin.clone();
        config.dbname(&self.name);
        config.connect(postgres::NoTls).unwrap()
    }

    fn tables(&self) -> i64 {
        self.connect()
            .query_one("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", &[])
            .unwrap()
            .get(0)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Ok(mut client) = self.admin.connect(postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

fn migrate(data: &Path, url: &str, extra: &[&str]) -> Output {
    galley_command()
        .args(["migrate", "--to-database", url, "--data-dir"])
        .arg(data)
        .args(extra)
        .env("GALLEY_LOG", "error")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn node_bytes(r: reqwest::blocking::Response) -> Vec<u8> {
    r.bytes().unwrap().to_vec()
}

/// Copies a folder of package files, as an operator moving the node would.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The message a failed command ends with (after the progress lines on stderr).
fn error(out: &Output) -> String {
    text(&out.stderr).trim().lines().last().unwrap_or_default().to_owned()
}

/// Rows in the copied tables of a destination.
fn rows_held(scratch: &Scratch) -> u64 {
    let mut client = scratch.connect();
    let tables: Vec<String> = client
        .query("SELECT table_name::TEXT FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT IN ('galley_schema', 'galley_migration')", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    tables
        .iter()
        .map(|t| client.query_one(&format!("SELECT count(*) FROM {t}"), &[]).unwrap().get::<_, i64>(0).unsigned_abs())
        .sum()
}

/// The per-table lines of a summary without the "copied" column: what two copies must share.
fn digests(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| l.ends_with(" ok") || l.ends_with("MISMATCH"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            format!("{} {} {} {} {}", f[0], f[1], f[2], f[4], f[5])
        })
        .collect()
}

/// Users, keys, owners, several packages and versions with dependencies, an unlisted and a
/// deprecated version, audit rows (every change writes one) and download counts.
fn seeded() -> TestApp {
    let app = spawn_app();
    let alice = app.create_user("alice", false);
    let key = app.create_key(alice, "push,unlist", &[]);
    app.create_user("bob", false);
    app.create_user("root", true);
    let deps = r#"<dependencies><group targetFramework="net6.0"><dependency id="Acme.Core" version="1.0.0" /></group><group targetFramework="netstandard2.0" /></dependencies>"#;
    for (id, version, extra) in [
        ("Acme.Core", "1.0.0", "<tags>acme core</tags>"),
        ("Acme.Core", "1.1.0", "<tags>acme core</tags><license type=\"expression\">MIT</license>"),
        ("Acme.Core", "2.0.0-beta.1", "<tags>acme core</tags>"),
        ("Acme.App", "1.0.0", deps),
        ("Acme.App", "1.1.0", deps),
        ("Zeta.Tool", "0.1.0", "<description>A tool with a \"quoted\" word and ünïcode</description>"),
    ] {
        assert_eq!(app.push(Some(&key), &nupkg_extra(id, version, extra)).status(), 201, "{id} {version}");
    }
    assert_eq!(app.delete(&key, "Acme.Core", "1.1.0").status(), 204, "unlist");
    let deprecation = app
        .client
        .put(app.url("/api/packages/Acme.Core/versions/1.0.0/deprecation"))
        .header("Content-Type", "application/json")
        .header("X-NuGet-ApiKey", &key)
        .body(r#"{"reasons":["Legacy"],"message":"Use 2.0.0."}"#)
        .send()
        .unwrap();
    assert_eq!(status_text(deprecation), (204, String::new()));
    for _ in 0..3 {
        assert_eq!(app.get("/v3/flatcontainer/acme.app/1.0.0/acme.app.1.0.0.nupkg").status(), 200);
    }
    app.state.downloads.flush(&app.state.db).unwrap();
    let owner = galley_command()
        .args(["owner", "add", "Acme.Core", "bob", "--data-dir"])
        .arg(&app.state.config.data_dir)
        .env("GALLEY_LOG", "error")
        .output()
        .unwrap();
    assert!(owner.status.success(), "{}", text(&owner.stderr));
    app
}

/// What the services read, the same through the SQL layer on either engine.
fn read_back(db: &dyn Sql) -> Vec<String> {
    use galley::db::{api_keys, audit, owners, packages, search, users};
    let mut seen = vec![format!("{:?}", users::list(db).unwrap())];
    for user in users::list(db).unwrap() {
        let mut keys = api_keys::for_user(db, user.id).unwrap();
        keys.sort_by_key(|k| k.id);
        seen.push(format!("{keys:?}"));
    }
    for id in ["acme.core", "acme.app", "zeta.tool"] {
        let record = packages::load(db, id).unwrap().expect(id);
        let found = packages::find(db, id).unwrap().expect(id);
        seen.push(format!("{record:?}"));
        seen.push(format!("{:?}", owners::owners(db, found.key).unwrap()));
    }
    seen.push(format!("{:?}", audit::list(db, &audit::AuditFilter::default()).unwrap()));
    seen.push(format!("{:?}", search::index_docs(db).unwrap().1));
    seen
}

#[test]
#[ignore = "needs PostgreSQL: tests/postgres/run.py runs it"]
fn pg_migrate_copies_an_install_resumes_and_verifies() {
    if !server_named() {
        return;
    }
    let app = seeded();
    let data = app.state.config.data_dir.clone();
    let whole = Scratch::create();
    let out = migrate(&data, &whole.url(), &[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}\n{}", stdout, text(&out.stderr));
    assert!(stdout.contains("Every table matches."), "{stdout}");
    assert!(
        stdout.contains(&format!("The package files stay where [storage] says ({})", data.join("packages").display())),
        "{stdout}"
    );
    for table in [
        "users",
        "api_keys",
        "packages",
        "package_versions",
        "package_dependencies",
        "package_owners",
        "package_search",
        "audit_log",
        "deprecations",
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with(&format!("{table} ")) && l.ends_with(" ok")),
            "{table} in {stdout}"
        );
    }
    assert!(!stdout.contains("package_search_data"), "FTS5 shadow tables are not copied: {stdout}");

    // The services' reads give the same answers on the copy.
    let sqlite = app.state.conn().unwrap();
    let pg = Postgres::new(whole.connect());
    assert_eq!(read_back(&pg), read_back(&sqlite));
    let downloads: i64 = (&pg as &dyn Sql)
        .query_row("SELECT downloads FROM package_versions WHERE version_lower = '1.0.0' AND package_key = (SELECT id FROM packages WHERE id_lower = 'acme.app')", &[], |r| r.get(0))
        .unwrap();
    assert_eq!(downloads, 3);
    // The identity sequences were moved past the copied ids: a new row does not collide.
    let next: i64 = (&pg as &dyn Sql)
        .query_row(
            "INSERT INTO audit_log (at, action) VALUES ('2026-01-01T00:00:00Z', 'test') RETURNING id",
            &[],
            |r| r.get(0),
        )
        .unwrap();
    let highest: i64 = (&sqlite as &dyn Sql).query_row("SELECT max(id) FROM audit_log", &[], |r| r.get(0)).unwrap();
    assert!(next > highest, "{next} after {highest}");
    (&pg as &dyn Sql).execute("DELETE FROM audit_log WHERE id = ?1", &[next.into()]).unwrap();
    drop(pg);

    // Interrupted after three batches of two rows, then run again: the same copy, no row twice.
    let resumed = Scratch::create();
    let stopped = migrate(&data, &resumed.url(), &["--batch-rows", "2", "--stop-after-batches", "3"]);
    assert_eq!(stopped.status.code(), Some(1));
    assert_eq!(error(&stopped), "error: stopped after 3 batches as asked; run the same command again to continue");
    let held = rows_held(&resumed);
    assert!(held > 0, "the first batches were committed");
    let again = migrate(&data, &resumed.url(), &["--batch-rows", "2"]);
    let again_out = text(&again.stdout);
    assert!(again.status.success(), "{again_out}\n{}", text(&again.stderr));
    assert_eq!(digests(&again_out), digests(&stdout));
    let copied: u64 = again_out
        .lines()
        .filter(|l| l.ends_with(" ok"))
        .map(|l| l.split_whitespace().nth(3).unwrap().parse::<u64>().unwrap())
        .sum();
    let total: u64 = stdout
        .lines()
        .filter(|l| l.ends_with(" ok"))
        .map(|l| l.split_whitespace().nth(3).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(copied, total - held, "the resumed run copies only what the first three batches did not");

    // A second run on a complete copy copies nothing and still verifies.
    let noop = migrate(&data, &whole.url(), &[]);
    let noop_out = text(&noop.stdout);
    assert!(noop.status.success(), "{noop_out}\n{}", text(&noop.stderr));
    assert_eq!(digests(&noop_out), digests(&stdout));
    assert!(
        noop_out.lines().filter(|l| l.ends_with(" ok")).all(|l| l.split_whitespace().nth(3) == Some("0")),
        "{noop_out}"
    );

    // A node started on the copy (with the package files where [storage] says) serves the
    // packages: the flat container and search answer as the SQLite install does.
    let node = spawn_app_with(|c| {
        copy_tree(&data.join("packages"), &c.data_dir.join("packages"));
        c.database.url = resumed.url();
    });
    assert!(node.state.db.sqlite_maintenance().is_none(), "the node runs on PostgreSQL");
    // The rendered documents live in each node's data folder, not in the database: a node on a
    // new folder renders them once (`galley reindex`, as docs/scale-out.md says).
    assert_eq!(node.get("/v3/flatcontainer/acme.core/index.json").status(), 404);
    galley::services::maintenance::reindex(&node.state).unwrap();
    let same = |path: &str| {
        let (a, b) = (app.get(path), node.get(path));
        assert_eq!((a.status(), b.status()), (reqwest::StatusCode::OK, reqwest::StatusCode::OK), "{path}");
        let (a, b) = (a.bytes().unwrap(), node_bytes(b));
        (a.to_vec(), b)
    };
    for path in [
        "/v3/flatcontainer/acme.core/index.json",
        "/v3/flatcontainer/acme.app/index.json",
        "/v3/flatcontainer/acme.core/1.1.0/acme.core.1.1.0.nupkg",
        "/v3/flatcontainer/zeta.tool/0.1.0/zeta.tool.nuspec",
    ] {
        let (a, b) = same(path);
        assert_eq!(a, b, "{path}");
    }
    for path in ["/v3/query?q=acme&prerelease=true", "/v3/query?q=quoted", "/v3/query?q=&take=10"] {
        let (a, b) = same(path);
        let b = String::from_utf8(b).unwrap().replace(&node.base, &app.base);
        assert_eq!(String::from_utf8(a).unwrap(), b, "{path}");
    }
    drop(node);

    // A destination changed after the copy: the verification names the table and exits 1.
    whole.connect().execute("UPDATE users SET email = 'changed@example.com' WHERE username = 'bob'", &[]).unwrap();
    let changed = migrate(&data, &whole.url(), &[]);
    assert_eq!(changed.status.code(), Some(1));
    let changed_out = text(&changed.stdout);
    let mismatched: Vec<&str> = changed_out.lines().filter(|l| l.ends_with("MISMATCH")).collect();
    assert_eq!(mismatched.len(), 1, "{changed_out}");
    assert!(mismatched[0].starts_with("users "), "{changed_out}");
    let tables = digests(&stdout).len();
    assert_eq!(error(&changed), format!("error: the copy does not match the source in 1 of {tables} tables"));
}

#[test]
#[ignore = "needs PostgreSQL: tests/postgres/run.py runs it"]
fn pg_migrate_refuses_what_does_not_qualify_and_writes_nothing() {
    if !server_named() {
        return;
    }
    let app = seeded();
    let data = app.state.config.data_dir.clone();

    // Not a PostgreSQL URL: only the scheme is named (the rest may hold a password).
    let out = migrate(&data, "mysql://root:secret@127.0.0.1/galley", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        error(&out),
        "error: --to-database needs a PostgreSQL URL (postgres://user:password@host:port/database), not a mysql:// URL"
    );

    // A source at another schema version than this build's.
    let old = tempfile::tempdir().unwrap();
    std::fs::copy(data.join("galley.db"), old.path().join("galley.db")).unwrap();
    let latest = galley::db::migrate::latest_version();
    rusqlite::Connection::open(old.path().join("galley.db"))
        .unwrap()
        .pragma_update(None, "user_version", latest - 1)
        .unwrap();
    let empty = Scratch::create();
    let out = migrate(old.path(), &empty.url(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        error(&out),
        format!(
            "error: {} is at schema version {} but this galley's is {latest}: run this galley's `galley check` (or start `galley serve`) once on it to upgrade it, then migrate again",
            old.path().join("galley.db").display(),
            latest - 1
        )
    );
    assert_eq!(empty.tables(), 0, "nothing written");

    // A destination holding another install's copy.
    let other = Scratch::create();
    let first = migrate(&data, &other.url(), &[]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let other_app = spawn_app();
    other_app.create_user("carol", false);
    let before = other.connect().query_one("SELECT count(*) FROM users", &[]).unwrap().get::<_, i64>(0);
    let out = migrate(&other_app.state.config.data_dir, &other.url(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        error(&out),
        format!(
            "error: the destination database holds another install's data (a copy of {}): migrate into an empty database",
            std::fs::canonicalize(data.join("galley.db")).unwrap().display()
        )
    );
    assert_eq!(other.connect().query_one("SELECT count(*) FROM users", &[]).unwrap().get::<_, i64>(0), before);

    // A destination with data of its own (no record of being a copy).
    let used = Scratch::create();
    let mut client = used.connect();
    galley::db::migrate_postgres::run(&mut client).unwrap();
    client
        .execute("INSERT INTO users (username, username_lower, email, email_lower, created_at) VALUES ('dave', 'dave', 'd@example.com', 'd@example.com', 'now')", &[])
        .unwrap();
    let out = migrate(&data, &used.url(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        error(&out),
        "error: the destination database holds another install's data (its table users has rows): migrate into an empty database"
    );
    assert_eq!(client.query_one("SELECT count(*) FROM users", &[]).unwrap().get::<_, i64>(0), 1);
    let claimed: bool = client.query_one("SELECT to_regclass('galley_migration') IS NOT NULL", &[]).unwrap().get(0);
    assert!(!claimed, "nothing written");
}

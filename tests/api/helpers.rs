//! The test harness: a real Galley server on an ephemeral loopback port over a temp data dir.
#![allow(dead_code)]

use galley::config::Config;
use galley::state::AppState;
use std::net::TcpListener;
use std::sync::mpsc;

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub client: reqwest::blocking::Client,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The database of its own on the PostgreSQL server of `GALLEY_TEST_DATABASE_URL`, if set.
    postgres: Option<PostgresDatabase>,
    _dir: tempfile::TempDir,
}

/// With `GALLEY_TEST_DATABASE_URL` naming a PostgreSQL server (`tests/postgres/run.py` sets it),
/// every `TestApp` runs on a fresh database of its own there; unset, on SQLite in its data folder.
pub const DATABASE_URL_VAR: &str = "GALLEY_TEST_DATABASE_URL";
/// A file each test skipped on PostgreSQL appends its line to (`run.py` counts them).
pub const SKIP_LOG_VAR: &str = "GALLEY_TEST_SKIP_LOG";

pub struct PostgresDatabase {
    admin: String,
    name: String,
    pub url: String,
}

impl PostgresDatabase {
    fn create(admin: &str) -> Self {
        use rand::Rng;
        let name = format!("galley_t_{:016x}", rand::rng().random::<u64>());
        let mut client = postgres::Client::connect(admin, postgres::NoTls).expect("the test PostgreSQL server answers");
        client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let mut config: postgres::Config = admin.parse().unwrap();
        config.dbname(&name);
        let host = match config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(host)) => host.clone(),
            _ => "127.0.0.1".to_owned(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let user = config.get_user().unwrap_or("postgres");
        Self { admin: admin.to_owned(), url: format!("postgres://{user}@{host}:{port}/{name}"), name }
    }

    fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
    }

    fn drop_database(&self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop the server and wait for its thread, so no test leaves a server behind.
        let handle = self.handle.clone();
        let _ = std::thread::spawn(move || actix_web::rt::System::new().block_on(handle.stop(false))).join();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(database) = &self.postgres {
            database.drop_database();
        }
    }
}

pub fn spawn_app() -> TestApp {
    spawn_app_with(|_| {})
}

/// Starts a server whose config `tweak` may change (limits, delete mode, auth…).
pub fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = Config { data_dir: dir.path().join("data"), listen: addr.to_string(), ..Config::default() };
    config.accounts.bcrypt_cost = 4;
    config.jobs.flush_downloads = String::new();
    let postgres = std::env::var(DATABASE_URL_VAR).ok().filter(|u| !u.is_empty()).map(|u| PostgresDatabase::create(&u));
    if let Some(database) = &postgres {
        config.database.url.clone_from(&database.url);
        config.database.max_connections = 8;
    }
    tweak(&mut config);
    let state = AppState::open(config).unwrap();
    let (tx, rx) = mpsc::channel();
    let server_state = state.clone();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || {
                actix_web::App::new().configure(galley::app::configure(server_state.clone()))
            })
            .workers(2)
            .listen(listener)
            .unwrap()
            .run();
            tx.send(server.handle()).unwrap();
            server.await.unwrap();
        });
    });
    let handle = rx.recv().unwrap();
    let client = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp { base: format!("http://{addr}"), state, client, handle, thread: Some(thread), postgres, _dir: dir }
}

impl TestApp {
    /// Lets `by` pass for the server at once: every decision by time and every stored timestamp
    /// reads the state's clock, so a test ages sessions, keys and links this way, not with SQL.
    pub fn advance(&self, by: chrono::Duration) {
        self.state.clock.advance(by);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.client.get(self.url(path)).send().unwrap()
    }

    pub fn get_json(&self, path: &str) -> serde_json::Value {
        let r = self.get(path);
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().unwrap()
    }

    /// Creates a user (password "password-1") and returns its id.
    pub fn create_user(&self, name: &str, admin: bool) -> i64 {
        galley::services::accounts::create_user(
            &self.state,
            &galley::services::accounts::NewAccount {
                username: name,
                email: &format!("{name}@example.com"),
                password: "password-1",
                is_admin: admin,
            },
        )
        .unwrap()
    }

    /// Creates an API key for the user and returns the secret.
    pub fn create_key(&self, user_id: i64, scopes: &str, globs: &[&str]) -> String {
        self.create_key_days(user_id, scopes, globs, 365)
    }

    pub fn create_key_days(&self, user_id: i64, scopes: &str, globs: &[&str], days: u32) -> String {
        galley::services::keys::create(
            &self.state,
            &galley::services::keys::NewKeyRequest {
                user_id,
                session: None,
                owner: None,
                description: "test",
                scopes: galley::domain::api_key::Scope::parse_list(scopes).unwrap(),
                globs: globs.iter().map(|g| (*g).to_owned()).collect(),
                package_ids: Vec::new(),
                expires_in_days: days,
            },
            None,
        )
        .unwrap()
        .secret
    }

    /// A user with a full push+unlist key: (user id, key).
    pub fn user_with_key(&self, name: &str) -> (i64, String) {
        let id = self.create_user(name, false);
        (id, self.create_key(id, "push,unlist", &[]))
    }

    /// Pushes the way nuget.exe does: multipart with one file part.
    pub fn push(&self, key: Option<&str>, nupkg: &[u8]) -> reqwest::blocking::Response {
        self.push_file("/api/v2/package/", "package.nupkg", key, nupkg)
    }

    /// A multipart PUT of one file part to `path` (the package or the symbol package push).
    pub fn push_file(
        &self,
        path: &str,
        file_name: &str,
        key: Option<&str>,
        bytes: &[u8],
    ) -> reqwest::blocking::Response {
        let part = reqwest::blocking::multipart::Part::bytes(bytes.to_vec()).file_name(file_name.to_owned());
        let form = reqwest::blocking::multipart::Form::new().part("package", part);
        let mut req = self.client.put(self.url(path)).multipart(form);
        if let Some(k) = key {
            req = req.header("X-NuGet-ApiKey", k);
        }
        req.send().unwrap()
    }

    pub fn delete(&self, key: &str, id: &str, version: &str) -> reqwest::blocking::Response {
        self.client
            .delete(self.url(&format!("/api/v2/package/{id}/{version}")))
            .header("X-NuGet-ApiKey", key)
            .send()
            .unwrap()
    }

    pub fn relist(&self, key: &str, id: &str, version: &str) -> reqwest::blocking::Response {
        self.client
            .post(self.url(&format!("/api/v2/package/{id}/{version}")))
            .header("X-NuGet-ApiKey", key)
            .send()
            .unwrap()
    }

    /// Counts of packages and versions rows plus the files under the package store.
    pub fn stored(&self) -> (i64, i64, usize) {
        let packages = self.count("SELECT count(*) FROM packages");
        let versions = self.count("SELECT count(*) FROM package_versions");
        let files = walk_files(&self.state.config.packages_dir());
        (packages, versions, files)
    }
}

fn walk_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map_or(0, |entries| entries.flatten().map(|e| if e.path().is_dir() { walk_files(&e.path()) } else { 1 }).sum())
}

pub use crate::nupkg_builder::{nupkg, nupkg_extra, nupkg_named, nuspec};

/// A signed-in client: the session cookie and the CSRF token that unsafe requests must carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

impl TestApp {
    /// A JSON request, optionally with a session (cookie + CSRF header).
    pub fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        session: Option<&Session>,
        body: Option<serde_json::Value>,
    ) -> reqwest::blocking::Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(s) = session {
            req = req.header("Cookie", &s.cookie).header("X-Galley-Csrf", &s.csrf);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().unwrap()
    }

    pub fn post_json(
        &self,
        path: &str,
        session: Option<&Session>,
        body: serde_json::Value,
    ) -> reqwest::blocking::Response {
        self.api(reqwest::Method::POST, path, session, Some(body))
    }

    pub fn get_as(&self, path: &str, session: &Session) -> reqwest::blocking::Response {
        self.api(reqwest::Method::GET, path, Some(session), None)
    }

    pub fn delete_as(&self, path: &str, session: &Session) -> reqwest::blocking::Response {
        self.api(reqwest::Method::DELETE, path, Some(session), None)
    }

    /// Signs in (password "password-1" for users made by `create_user`).
    pub fn sign_in_with(&self, name: &str, password: &str) -> Session {
        let r =
            self.post_json("/api/account/signin", None, serde_json::json!({ "username": name, "password": password }));
        assert_eq!(r.status(), 200, "sign in as {name}");
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("galley_session="))
            .map(|v| v.split(';').next().unwrap().to_owned())
            .expect("a session cookie");
        let body: serde_json::Value = r.json().unwrap();
        Session { cookie, csrf: body["csrf_token"].as_str().unwrap().to_owned() }
    }

    pub fn sign_in(&self, name: &str) -> Session {
        self.sign_in_with(name, "password-1")
    }

    /// Messages in the outbox addressed to `to`, oldest first.
    pub fn mails_to(&self, to: &str) -> Vec<String> {
        let dir = self.state.config.outbox_dir();
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "eml")).collect())
            .unwrap_or_default();
        names.sort();
        let header = format!("To: {to}\r\n");
        names.into_iter().filter_map(|p| std::fs::read_to_string(p).ok()).filter(|m| m.contains(&header)).collect()
    }

    /// Waits (mail is sent on its own thread) until `to` has received `count` messages; returns the last.
    pub fn wait_for_mail_count(&self, to: &str, count: usize) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let mails = self.mails_to(to);
            if mails.len() >= count {
                return mails[count - 1].clone();
            }
            assert!(std::time::Instant::now() < deadline, "no mail #{count} to {to} arrived");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    pub fn wait_for_mail(&self, to: &str) -> String {
        self.wait_for_mail_count(to, 1)
    }

    /// The tests' one way to the SQLite file under the server, for SQL no service runs (setting
    /// up a row no request can make, reading a row back); services see the database only as
    /// `db::Database` and `&dyn Sql`.
    /// A test that reads the SQLite file calls `skip_on_postgres` first.
    pub fn sqlite(&self) -> galley::db::Conn {
        self.state
            .db
            .sqlite_maintenance()
            .expect("this test reads the SQLite file: skip_on_postgres first")
            .get()
            .unwrap()
    }

    pub fn on_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// True (and the skip logged, for `tests/postgres/run.py` to count) when this server runs
    /// on PostgreSQL and the test, for `why`, only applies to SQLite.
    pub fn skip_on_postgres(&self, why: &str) -> bool {
        if self.postgres.is_none() {
            return false;
        }
        let test = std::thread::current().name().unwrap_or("?").to_owned();
        eprintln!("skipped on PostgreSQL: {test}: {why}");
        if let Ok(path) = std::env::var(SKIP_LOG_VAR) {
            use std::io::Write;
            if let Ok(mut log) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
                let _ = writeln!(log, "{test}: {why}");
            }
        }
        true
    }

    /// `galley` as a command on this server's data folder and database (`GALLEY_DATABASE__URL`
    /// when it runs on PostgreSQL); the caller adds `--data-dir`.
    pub fn command(&self) -> std::process::Command {
        let mut command = galley_command();
        if let Some(database) = &self.postgres {
            command.env("GALLEY_DATABASE__URL", &database.url);
        }
        command
    }

    /// Aborts every insert into `table` matching `when` (SQL both engines read, on `NEW`) until
    /// `heal_fault`: a real trigger on the server's own database, no mock.
    pub fn inject_fault(&self, table: &str, when: &str) {
        if self.on_postgres() {
            self.sql(&format!(
                "CREATE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$; \
                 CREATE TRIGGER injected_fault BEFORE INSERT ON {table} FOR EACH ROW WHEN ({when}) \
                 EXECUTE FUNCTION injected_fault();"
            ));
        } else {
            self.sql(&format!(
                "CREATE TRIGGER injected_fault BEFORE INSERT ON {table} WHEN {when} \
                 BEGIN SELECT RAISE(ABORT, 'injected fault'); END;"
            ));
        }
    }

    pub fn heal_fault(&self) {
        if self.on_postgres() {
            self.sql("DROP FUNCTION injected_fault() CASCADE;");
        } else {
            self.sql("DROP TRIGGER injected_fault;");
        }
    }

    /// The engine-neutral connection to the server's database (`&dyn Sql` through `db::`).
    pub fn db(&self) -> galley::db::Connection {
        self.state.db.connection().unwrap()
    }

    /// Runs SQL against the server's database (to set up a row no request can make; time
    /// passes with `advance`). SQL both engines accept as written.
    pub fn sql(&self, sql: &str) {
        match &self.postgres {
            Some(database) => database.client().batch_execute(sql).unwrap(),
            None => self.sqlite().execute_batch(sql).unwrap(),
        }
    }

    /// The one text value `sql` selects (a stored time, for the date a message quotes).
    pub fn text(&self, sql: &str) -> String {
        match &self.postgres {
            Some(database) => database.client().query_one(sql, &[]).unwrap().get(0),
            None => self.sqlite().query_row(sql, [], |r| r.get(0)).unwrap(),
        }
    }

    pub fn count(&self, sql: &str) -> i64 {
        match &self.postgres {
            Some(database) => database.client().query_one(sql, &[]).unwrap().get(0),
            None => self.sqlite().query_row(sql, [], |r| r.get(0)).unwrap(),
        }
    }

    /// Pushes `id` `version` with the key and asserts the status.
    pub fn push_ok(&self, key: &str, id: &str, version: &str) {
        let r = self.push(Some(key), &nupkg(id, version));
        assert_eq!(r.status(), 201, "push {id} {version}: {}", r.text().unwrap());
    }
}

/// The token of the first link in `mail` whose URL contains `path`.
pub fn link_token(mail: &str, path: &str) -> String {
    let line = mail
        .lines()
        .find(|l| l.contains(path) && l.contains("token="))
        .unwrap_or_else(|| panic!("no {path} link in:\n{mail}"));
    line.split("token=").nth(1).unwrap().trim().to_owned()
}

/// The status and the body text of a response.
pub fn status_text(r: reqwest::blocking::Response) -> (u16, String) {
    (r.status().as_u16(), r.text().unwrap())
}

/// The `galley` binary with none of the test run's own `GALLEY_*` variables, which the child
/// would otherwise read as configuration.
pub fn galley_command() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_galley"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("GALLEY_") {
            command.env_remove(name);
        }
    }
    command
}

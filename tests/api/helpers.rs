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
    _dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop the server and wait for its thread, so no test leaves a server behind.
        let handle = self.handle.clone();
        let _ = std::thread::spawn(move || actix_web::rt::System::new().block_on(handle.stop(false))).join();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
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
    TestApp { base: format!("http://{addr}"), state, client, handle, thread: Some(thread), _dir: dir }
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
        let conn = self.sqlite();
        let packages: i64 = conn.query_row("SELECT count(*) FROM packages", [], |r| r.get(0)).unwrap();
        let versions: i64 = conn.query_row("SELECT count(*) FROM package_versions", [], |r| r.get(0)).unwrap();
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
    pub fn sqlite(&self) -> galley::db::Conn {
        self.state.db.sqlite_maintenance().expect("the in-process tests run on SQLite").get().unwrap()
    }

    /// Runs SQL against the server's database (to set up a row no request can make; time
    /// passes with `advance`).
    pub fn sql(&self, sql: &str) {
        self.sqlite().execute_batch(sql).unwrap();
    }

    /// The one text value `sql` selects (a stored time, for the date a message quotes).
    pub fn text(&self, sql: &str) -> String {
        self.sqlite().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.sqlite().query_row(sql, [], |r| r.get(0)).unwrap()
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

//! Against a real ClamAV daemon (Debian's clamav-daemon). No signature download is possible
//! offline, so the test writes its own database: a body signature for the EICAR string (found
//! inside the zip, which clamd unpacks) and, later, a SHA-256 hash signature for a payload that
//! "becomes" malware. clamd runs in the foreground on a free loopback port, is stopped mid-test
//! to show that packages wait in `validating`, and is killed by its PID at the end.
//!
//! Ignored by a plain `cargo test` (it needs Debian's clamav-daemon, see `tests/scan/clamd_setup.md`);
//! `./test.sh` installs it and runs ignored tests too, and then a missing clamd fails the test.
use crate::helpers::{nupkg, spawn_app_with};
use crate::scan::{eicar_package, outbox, payload_package, status, visible};
use galley::config::ScannerKind;
use galley::scan::builtin::EICAR;
use galley::scan::clamd::{self, Address, ClamdScanner};
use galley::scan::{ScanOutcome, Scanner};
use galley::services::validation;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PAYLOAD: &[u8] = b"GALLEY-TEST-PAYLOAD: a library that a signature update will call malware. 0123456789";

pub fn clamd_binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("clamd")).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path.into_iter().chain([PathBuf::from("/usr/sbin/clamd")]).find(|p| p.is_file())
}

/// A clamd child process with its own config and database in a temp dir.
pub struct Clamd {
    binary: PathBuf,
    pub dir: tempfile::TempDir,
    pub address: Address,
    child: Option<Child>,
}

impl Clamd {
    pub fn start(binary: PathBuf) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        std::fs::create_dir_all(&db).unwrap();
        std::fs::write(db.join("galley-eicar.ndb"), format!("Galley.Test.Eicar:0:*:{}\n", hex::encode(EICAR))).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        std::fs::write(
            dir.path().join("clamd.conf"),
            format!(
                "Foreground yes\nDatabaseDirectory {}\nTCPSocket {port}\nTCPAddr 127.0.0.1\nLogFile {}\nPidFile {}\n\
                 StreamMaxLength 100M\nSelfCheck 0\n",
                db.display(),
                dir.path().join("clamd.log").display(),
                dir.path().join("clamd.pid").display()
            ),
        )
        .unwrap();
        let mut clamd = Self { binary, address: Address::Tcp(format!("127.0.0.1:{port}")), dir, child: None };
        clamd.run();
        clamd
    }

    /// Starts the daemon and waits (bounded) until it answers PING.
    pub fn run(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("clamd.out")).unwrap();
        let child = Command::new(&self.binary)
            .arg("-c")
            .arg(self.dir.path().join("clamd.conf"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let started = Instant::now();
        while started.elapsed() < Duration::from_mins(1) {
            if clamd::command(&self.address, "PING", Duration::from_secs(2)).as_deref() == Ok("PONG") {
                eprintln!("clamd up after {} ms", started.elapsed().as_millis());
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("clamd did not answer PING within a minute:\n{}", self.log());
    }

    /// Kills the daemon this test started, by its PID, and reaps it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn log(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        format!("{}\n{}", read("clamd.log"), read("clamd.out"))
    }

    /// Adds a signature file and reloads; waits (bounded) until `probe` is detected.
    pub fn add_signatures(&self, file: &str, line: &str, probe: &Path) {
        std::fs::write(self.dir.path().join("db").join(file), line).unwrap();
        assert_eq!(clamd::command(&self.address, "RELOAD", Duration::from_secs(5)).unwrap(), "RELOADING");
        let scanner = ClamdScanner::new(self.address.clone(), Duration::from_secs(10));
        let started = Instant::now();
        while started.elapsed() < Duration::from_mins(1) {
            if matches!(scanner.scan(probe), ScanOutcome::Infected { .. }) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the reloaded database never detected the probe:\n{}", self.log());
    }
}

impl Drop for Clamd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The installed clamd; a test that needs it fails with what to install when it is missing.
pub fn require_clamd() -> PathBuf {
    clamd_binary().expect("clamd is not installed: apt-get install -y clamav-daemon (see tests/scan/clamd_setup.md)")
}

#[test]
#[ignore = "needs a real clamd (tests/scan/clamd_setup.md); ./test.sh runs it"]
fn real_clamd_refuses_eicar_quarantines_after_an_update_and_holds_packages_while_down() {
    let mut clamd = Clamd::start(require_clamd());
    let address = clamd.address.to_string();
    let app = spawn_app_with(move |c| {
        c.scan.scanner = ScannerKind::Clamd;
        c.scan.clamd_address = address;
        c.scan.timeout_seconds = 10;
    });
    let (_, key) = app.user_with_key("alice");
    app.create_user("root", true);

    // 1. EICAR inside the zip is found by clamd itself and the push is refused.
    let r = app.push(Some(&key), &eicar_package("Evil.Pkg", "1.0.0"));
    assert_eq!(r.status(), 400, "{}", clamd.log());
    assert_eq!(r.text().unwrap(), "The package failed validation: virus found: Galley.Test.Eicar.UNOFFICIAL.");
    assert_eq!(app.stored(), (0, 0, 0));
    assert!(!visible(&app, "Evil.Pkg", "1.0.0"));

    // 2. A clean package is published; a signature update then detects it; `galley rescan`
    //    (the real binary, against the running server's data) quarantines it.
    assert_eq!(app.push(Some(&key), &payload_package("Acme.Payload", "1.0.0", PAYLOAD)).status(), 201);
    assert!(visible(&app, "Acme.Payload", "1.0.0"));
    let stored = app.state.store.nupkg_path("acme.payload", "1.0.0");
    let hsb = format!("{}:{}:Galley.Test.Payload\n", hex::encode(Sha256::digest(PAYLOAD)), PAYLOAD.len());
    clamd.add_signatures("galley-update.hsb", &hsb, &stored);
    let out = app
        .command()
        .args(["rescan", "--data-dir"])
        .arg(&app.state.config.data_dir)
        .env("GALLEY_SCAN__SCANNER", "clamd")
        .env("GALLEY_SCAN__CLAMD_ADDRESS", clamd.address.to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Rescan: 1 scanned, 1 quarantined, 0 scan errors (Acme.Payload 1.0.0: Galley.Test.Payload.UNOFFICIAL)."
    );
    assert_eq!(status(&app, "Acme.Payload", "1.0.0").unwrap().0, "quarantined");
    assert!(crate::scan::hidden_soon(&app, "Acme.Payload", "1.0.0"));
    let mails = outbox(&app);
    let quarantined: Vec<&String> = mails.iter().filter(|m| m.contains("Acme.Payload 1.0.0 was quarantined")).collect();
    assert_eq!(quarantined.len(), 2, "owner and admin");
    assert!(quarantined.iter().any(|m| m.contains("To: alice@example.com")));

    // 3. clamd stops: a push is held in `validating`, never published unscanned, and retries
    //    keep failing while it is down.
    clamd.stop();
    let r = app.push(Some(&key), &nupkg("Acme.Later", "1.0.0"));
    assert_eq!(r.status(), 202);
    assert_eq!(
        r.text().unwrap(),
        "Accepted Acme.Later 1.0.0: the virus scanner is unavailable; it will be published once a scan finds it clean."
    );
    let now = app.state.clock.now();
    assert_eq!(validation::retry_validating(&app.state, now + chrono::Duration::hours(1)).unwrap().waiting, 1);
    assert_eq!(status(&app, "Acme.Later", "1.0.0").unwrap().0, "validating");
    assert!(!visible(&app, "Acme.Later", "1.0.0"));

    // 4. clamd is back: the retry job publishes it.
    clamd.run();
    let report = validation::retry_validating(&app.state, now + chrono::Duration::hours(2)).unwrap();
    assert_eq!(report, validation::RetryReport { published: 1, failed: 0, waiting: 0 }, "{}", clamd.log());
    assert!(visible(&app, "Acme.Later", "1.0.0"));
    clamd.stop();
}

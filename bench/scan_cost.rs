//! Scan cost per MB of package: `cargo bench --bench scan_cost`.
//!
//! Generates 10 MB and 50 MB packages (1 MB entries of incompressible bytes, deflated, so the
//! expanded size equals the package size: the worst case per package MB) and times the builtin
//! scanner and, when `clamd` is installed, a real clamd started here with a one-signature
//! database. The baseline, measured in the same run, is the SHA-512 every push already computes.
//! Results and how to read them: bench/README.md and bench/RESULTS-scan.md.
#[path = "../src/domain/nupkg_builder.rs"]
mod nupkg_builder;
use galley::scan::builtin::{BuiltinScanner, Limits, EICAR};
use galley::scan::clamd::{self, Address, ClamdScanner};
use galley::scan::{ScanOutcome, Scanner};
use nupkg_builder::ZipBuilder;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn package(dir: &Path, mb: usize) -> PathBuf {
    let path = dir.join(format!("bench-{mb}mb.nupkg"));
    let mut zip = ZipBuilder::into_writer(std::fs::File::create(&path).unwrap())
        .file("Bench.nuspec", b"<package><metadata><id>Bench</id><version>1.0.0</version></metadata></package>");
    // xorshift: fast, deterministic, incompressible enough for deflate.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..mb {
        let mut chunk = vec![0u8; 1 << 20];
        for word in chunk.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            word.copy_from_slice(&x.to_le_bytes()[..word.len()]);
        }
        zip = zip.file(&format!("lib/net8.0/part{i}.dll"), &chunk);
    }
    zip.finish();
    path
}

/// Median wall time of `RUNS` runs, after one warm-up run (page cache, clamd's first connection).
fn time(mut f: impl FnMut()) -> Duration {
    f();
    let mut runs: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    runs.sort();
    runs[RUNS / 2]
}

fn start_clamd(dir: &Path) -> Option<(std::process::Child, Address)> {
    let binary = ["/usr/sbin/clamd", "/usr/bin/clamd"].into_iter().map(PathBuf::from).find(|p| p.is_file())?;
    let db = dir.join("db");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(db.join("eicar.ndb"), format!("Galley.Test.Eicar:0:*:{}\n", hex::encode(EICAR))).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let conf = dir.join("clamd.conf");
    std::fs::write(
        &conf,
        format!(
            "Foreground yes\nDatabaseDirectory {}\nTCPSocket {port}\nTCPAddr 127.0.0.1\nStreamMaxLength 200M\n\
             MaxScanSize 400M\nMaxFileSize 200M\nSelfCheck 0\n",
            db.display()
        ),
    )
    .unwrap();
    let child = Command::new(binary).arg("-c").arg(&conf).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let address = Address::Tcp(format!("127.0.0.1:{port}"));
    let started = Instant::now();
    while clamd::command(&address, "PING", Duration::from_secs(1)).as_deref() != Ok("PONG") {
        assert!(started.elapsed() < Duration::from_mins(1), "clamd did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((child, address))
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let builtin = BuiltinScanner::new(None, Limits::default(), dir.path().to_owned());
    let clamd = start_clamd(dir.path());
    let clamd_scanner = clamd.as_ref().map(|(_, a)| ClamdScanner::new(a.clone(), Duration::from_mins(5)));
    println!("| package | baseline SHA-512 | builtin | builtin / baseline | clamd | clamd / baseline |");
    println!("|---|---|---|---|---|---|");
    for mb in [10, 50] {
        let path = package(dir.path(), mb);
        // Package sizes here are far below 2^52 bytes: the conversion is exact.
        let size_mb = f64::from(u32::try_from(std::fs::metadata(&path).unwrap().len()).unwrap()) / f64::from(1 << 20);
        let per_mb = |d: Duration| d.as_secs_f64() * 1000.0 / size_mb;
        let baseline = time(|| {
            galley::domain::nupkg::sha512_base64(std::fs::File::open(&path).unwrap()).unwrap();
        });
        let b = time(|| assert_eq!(builtin.scan(&path), ScanOutcome::Clean));
        let c = clamd_scanner.as_ref().map(|s| time(|| assert_eq!(s.scan(&path), ScanOutcome::Clean)));
        let ratio = |d: Duration| d.as_secs_f64() / baseline.as_secs_f64();
        println!(
            "| {size_mb:.1} MB | {:.2} ms/MB | {:.2} ms/MB | {:.1}x | {} | {} |",
            per_mb(baseline),
            per_mb(b),
            ratio(b),
            c.map_or("not installed".into(), |c| format!("{:.2} ms/MB", per_mb(c))),
            c.map_or("-".into(), |c| format!("{:.1}x", ratio(c))),
        );
    }
    if let Some((mut child, _)) = clamd {
        // The daemon this run started, by its handle.
        let _ = child.kill();
        let _ = child.wait();
    }
}

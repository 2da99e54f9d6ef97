//! `galley-bench gen`: fills a data dir with realistic synthetic packages through the same
//! publish path as a push, so benchmarks measure the real thing.
// Statistics over counts far below 2^52: the float conversions are exact enough.
#![allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
use clap::{Parser, Subcommand};
#[path = "../src/domain/nupkg_builder.rs"]
mod nupkg_builder;
use galley::config::{Config, Overrides};
use galley::services::lifecycle::{self, Change};
use galley::services::permissions::Principal;
use galley::services::publish;
use galley::state::AppState;
use nupkg_builder::ZipBuilder;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

#[derive(Parser)]
#[command(name = "galley-bench", about = "Benchmark helpers for Galley")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate synthetic packages into a data dir.
    Gen {
        #[arg(long, default_value_t = 1000)]
        ids: usize,
        #[arg(long, default_value_t = 5)]
        versions_per_id: usize,
        #[arg(long)]
        data_dir: PathBuf,
        /// Publishing threads.
        #[arg(long, default_value_t = 4)]
        threads: usize,
        /// Extra bytes of content per package (to shape .nupkg sizes).
        #[arg(long, default_value_t = 0)]
        content_bytes: usize,
    },
    /// Push `count` new packages over HTTP with `concurrency` clients; prints pushes/s and
    /// the push-to-searchable delay.
    Push {
        /// Base URL of a running Galley, e.g. `http://127.0.0.1:5000`.
        #[arg(long)]
        url: String,
        #[arg(long)]
        key: String,
        #[arg(long, default_value_t = 1000)]
        count: usize,
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        #[arg(long, default_value_t = 0)]
        content_bytes: usize,
        /// Prefix of the generated ids (use a fresh one per run).
        #[arg(long, default_value = "PushBench")]
        prefix: String,
    },
    /// Serve one file's bytes from memory at every path with actix-web alone (no routing, no
    /// middleware, no lookups): the floor of what Galley, built on it, can reach for a download.
    Floor {
        /// Address to listen on, e.g. `127.0.0.1:5001`.
        #[arg(long)]
        listen: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// Write one synthetic .nupkg to a file (for push benchmarks).
    Pack {
        #[arg(long)]
        id: String,
        #[arg(long)]
        version: String,
        #[arg(long, default_value_t = 0)]
        content_bytes: usize,
        #[arg(long)]
        out: PathBuf,
    },
}

const WORDS: &[&str] = &[
    "json",
    "http",
    "client",
    "server",
    "logging",
    "core",
    "data",
    "sql",
    "azure",
    "cloud",
    "test",
    "mock",
    "async",
    "stream",
    "cache",
    "auth",
    "identity",
    "graph",
    "queue",
    "storage",
    "blob",
    "crypto",
    "xml",
    "yaml",
    "csv",
    "image",
    "pdf",
    "email",
    "metrics",
    "tracing",
    "retry",
    "polly",
    "grpc",
    "rest",
    "api",
    "web",
    "mvc",
    "razor",
    "blazor",
    "entity",
    "framework",
    "mapper",
    "validation",
    "serializer",
    "parser",
    "compiler",
    "analyzer",
    "build",
    "tools",
];
const COMPANIES: &[&str] =
    &["Acme", "Contoso", "Fabrikam", "Northwind", "Tailspin", "Woodgrove", "Litware", "Proseware"];

/// A tiny deterministic generator: the same seed gives the same feed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[usize::try_from(self.next() % list.len() as u64).unwrap_or(0)]
    }
}

fn package_id(n: usize) -> String {
    let mut rng = Rng(n as u64 * 7919 + 17);
    let company = COMPANIES[n % COMPANIES.len()];
    let a = rng.pick(WORDS);
    let b = rng.pick(WORDS);
    let cap = |w: &str| w[..1].to_uppercase() + &w[1..];
    format!("{company}.{}{}.P{n}", cap(a), cap(b))
}

/// Versions of package `n`: stable releases, a SemVer 2.0 prerelease, a legacy prerelease.
fn version(i: usize) -> String {
    match i % 5 {
        0 => format!("{}.0.0", i / 5 + 1),
        1 => format!("{}.1.0", i / 5 + 1),
        2 => format!("{}.2.0-beta.{}", i / 5 + 1, i % 3 + 1),
        3 => format!("{}.2.0", i / 5 + 1),
        _ => format!("{}.3.0-preview", i / 5 + 1),
    }
}

fn nupkg(n: usize, id: &str, version: &str, content_bytes: usize) -> Vec<u8> {
    let mut rng = Rng(n as u64 * 31 + version.len() as u64 + 1);
    let tags: Vec<&str> = (0..4).map(|_| rng.pick(WORDS)).collect();
    let description: Vec<&str> = (0..24).map(|_| rng.pick(WORDS)).collect();
    let deps = if n > 10 {
        format!(
            r#"<dependencies><group targetFramework="net8.0"><dependency id="{}" version="1.0.0" /></group><group targetFramework="netstandard2.0"><dependency id="{}" version="[1.0.0, 3.0.0)" /></group></dependencies>"#,
            package_id(n - 1),
            package_id(n / 2)
        )
    } else {
        String::new()
    };
    let nuspec = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>{id}</id><version>{version}</version><authors>{company} Team</authors>
    <description>{desc}</description><tags>{tags}</tags>
    <projectUrl>https://example.com/{id}</projectUrl><license type="expression">MIT</license>
    {deps}
  </metadata>
</package>"#,
        company = COMPANIES[n % COMPANIES.len()],
        desc = description.join(" "),
        tags = tags.join(" "),
    );
    // Incompressible-ish content so the .nupkg really has the requested size.
    let mut filler = Vec::with_capacity(content_bytes);
    while filler.len() < content_bytes {
        filler.extend_from_slice(&rng.next().to_le_bytes());
    }
    filler.truncate(content_bytes);
    ZipBuilder::new().file(&format!("{id}.nuspec"), nuspec.as_bytes()).stored("lib/net8.0/lib.dll", &filler).bytes()
}

fn generate(state: &AppState, ids: usize, per_id: usize, threads: usize, content_bytes: usize) {
    let principal = Principal::operator(None, "bench");
    let tmp = state.config.data_dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= ids {
                    break;
                }
                let id = package_id(n);
                for i in 0..per_id {
                    let v = version(i);
                    let mut file = tempfile::NamedTempFile::new_in(&tmp).unwrap();
                    file.write_all(&nupkg(n, &id, &v, content_bytes)).unwrap();
                    match publish::publish_file(state, &principal, file.path(), None) {
                        Ok(_) | Err(galley::error::AppError::Conflict(_)) => {}
                        Err(e) => panic!("{id} {v}: {e}"),
                    }
                    // Every 7th id has its first version unlisted, as real feeds do.
                    if i == 0 && n % 7 == 3 && per_id > 1 {
                        let _ = lifecycle::apply(state, &principal, &id, &v, Change::Unlist, None);
                    }
                }
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                if d.is_multiple_of(1000) {
                    eprintln!("{d} ids, {:.0} versions/s", (d * per_id) as f64 / started.elapsed().as_secs_f64());
                }
            });
        }
    });
    let secs = started.elapsed().as_secs_f64();
    println!("generated {ids} ids x {per_id} versions in {secs:.1}s ({:.0} versions/s)", (ids * per_id) as f64 / secs);
}

fn main() {
    tracing_subscriber::fmt().with_env_filter("warn").with_writer(std::io::stderr).init();
    match Cli::parse().command {
        Command::Gen { ids, versions_per_id, data_dir, threads, content_bytes } => {
            let mut config =
                Config::load(None, &Overrides { data_dir: Some(data_dir), ..Overrides::default() }).unwrap();
            config.accounts.bcrypt_cost = 4;
            let state = AppState::open(config).unwrap();
            generate(&state, ids, versions_per_id, threads, content_bytes);
            state.finish();
        }
        Command::Push { url, key, count, concurrency, content_bytes, prefix } => {
            push_bench(&url, &key, count, concurrency, content_bytes, &prefix);
        }
        Command::Floor { listen, file } => serve_floor(&listen, &file).unwrap(),
        Command::Pack { id, version, content_bytes, out } => {
            std::fs::write(out, nupkg(1, &id, &version, content_bytes)).unwrap();
        }
    }
}

/// Answers every GET with the file's bytes, handed to actix-web as Galley hands a package held in
/// memory (`SlicedBody`), on as many workers as Galley starts (actix-web's default, one per core)
/// and with its connection options (`app::no_delay`).
fn serve_floor(listen: &str, file: &std::path::Path) -> std::io::Result<()> {
    use actix_web::{web, App, HttpResponse, HttpServer};
    let bytes = bytes::Bytes::from(std::fs::read(file)?);
    actix_web::rt::System::new().block_on(
        HttpServer::new(move || {
            let bytes = bytes.clone();
            App::new().default_service(web::get().to(move || {
                let body = galley::http::sliced_body::SlicedBody::new(bytes.clone());
                async move { HttpResponse::Ok().insert_header(("ETag", "\"floor\"")).body(body) }
            }))
        })
        .on_connect(galley::app::no_delay)
        .bind(listen)?
        .run(),
    )
}

/// One HTTP/1.1 request on a fresh connection; returns (status, body).
fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (k, v) in headers {
        head.push_str(k);
        head.push_str(": ");
        head.push_str(v);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round();
    sorted[usize::try_from(rank as u64).unwrap_or(0).min(sorted.len() - 1)]
}

fn push_bench(url: &str, key: &str, count: usize, concurrency: usize, content_bytes: usize, prefix: &str) {
    let addr = url.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let packages: Vec<(String, Vec<u8>)> = (0..count)
        .map(|i| {
            let id = format!("{prefix}.P{i}");
            let bytes = nupkg(i, &id, "1.0.0", content_bytes);
            (id, bytes)
        })
        .collect();
    let next = AtomicUsize::new(0);
    let statuses = std::sync::Mutex::new(std::collections::HashMap::<u16, usize>::new());
    let visible_ms = std::sync::Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..concurrency.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= packages.len() {
                    break;
                }
                let (id, bytes) = &packages[i];
                let (status, _) = http(&addr, "PUT", "/api/v2/package", &[("X-NuGet-ApiKey", key)], bytes);
                *statuses.lock().unwrap().entry(status).or_default() += 1;
                // Every 10th push: how long until search shows it (zero indexing delay by design).
                if status == 201 && i.is_multiple_of(10) {
                    let t = Instant::now();
                    for _ in 0..1000 {
                        let (_, body) = http(&addr, "GET", &format!("/v3/query?q=packageid:{id}"), &[], b"");
                        if body.contains("\"totalHits\":1") {
                            visible_ms.lock().unwrap().push(t.elapsed().as_secs_f64() * 1000.0);
                            break;
                        }
                    }
                }
            });
        }
    });
    let secs = started.elapsed().as_secs_f64();
    let statuses = statuses.into_inner().unwrap();
    let mut visible = visible_ms.into_inner().unwrap();
    visible.sort_by(f64::total_cmp);
    let created = statuses.get(&201).copied().unwrap_or(0);
    println!(
        "{{\"pushes\":{count},\"created\":{created},\"seconds\":{secs:.3},\"pushes_per_second\":{:.1},\"statuses\":{:?},\"search_visible_ms_p50\":{:.2},\"search_visible_ms_max\":{:.2}}}",
        created as f64 / secs,
        format!("{statuses:?}"),
        percentile(&visible, 0.5),
        visible.last().copied().unwrap_or(0.0)
    );
}

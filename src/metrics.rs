//! Metrics are recorded where the event happens, through this one module; `GET /metrics` only
//! renders them (`http::metrics`). The request path touches atomics only: every counter and
//! histogram it uses is created once, at start, and indexed by route class and status class.
mod fast_histogram;

use fast_histogram::FastHistogram;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::sync::LazyLock;
use std::time::Duration;

type Labels = Vec<(&'static str, &'static str)>;
type FloatGauge = Gauge<f64, AtomicU64>;

/// What kind of route answered: few enough values to keep the series count small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    FeedV3,
    FeedV2,
    Publish,
    Api,
    Portal,
    Static,
    Health,
    Metrics,
}

impl RouteClass {
    const ALL: [RouteClass; 8] = [
        RouteClass::FeedV3,
        RouteClass::FeedV2,
        RouteClass::Publish,
        RouteClass::Api,
        RouteClass::Portal,
        RouteClass::Static,
        RouteClass::Health,
        RouteClass::Metrics,
    ];

    fn label(self) -> &'static str {
        match self {
            RouteClass::FeedV3 => "feed_v3",
            RouteClass::FeedV2 => "feed_v2",
            RouteClass::Publish => "publish",
            RouteClass::Api => "api",
            RouteClass::Portal => "portal",
            RouteClass::Static => "static",
            RouteClass::Health => "health",
            RouteClass::Metrics => "metrics",
        }
    }

    /// Classifies a request path (as the app sees it, after a proxy stripped its prefix). Writes
    /// under `/api/v2` are pushes, deletes and relists; reads there are the v2 feed.
    pub fn of(path: &str, is_read: bool) -> RouteClass {
        if path.starts_with("/v3/") {
            RouteClass::FeedV3
        } else if path.starts_with("/api/v2") {
            if is_read {
                RouteClass::FeedV2
            } else {
                RouteClass::Publish
            }
        } else if path.starts_with("/api/") {
            RouteClass::Api
        } else if path.starts_with("/static/") {
            RouteClass::Static
        } else if path == "/health" {
            RouteClass::Health
        } else if path == "/metrics" {
            RouteClass::Metrics
        } else {
            RouteClass::Portal
        }
    }
}

const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Every metric Galley keeps, registered once.
pub struct Metrics {
    pub registry: Registry,
    requests: Vec<[Counter; 5]>,
    latency: Vec<FastHistogram>,
    pushes: Family<Labels, Counter>,
    scans: Family<Labels, Counter>,
    scan_seconds: Histogram,
    cache_hits: Family<Labels, Counter>,
    cache_misses: Family<Labels, Counter>,
    job_runs: Family<Labels, Counter>,
    job_last_run: Family<Labels, Gauge>,
    job_last_seconds: Family<Labels, FloatGauge>,
    job_last_success: Family<Labels, Gauge>,
    pub database_bytes: Gauge,
    pub data_dir_bytes: Gauge,
    pub disk_free_bytes: Gauge,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn get() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("galley");
        let build = Family::<Labels, Gauge>::default();
        build.get_or_create(&vec![("version", env!("CARGO_PKG_VERSION"))]).set(1);
        registry.register("build_info", "The running version (value always 1)", build);

        let request_family = Family::<Labels, Counter>::default();
        let latency_family = Family::<Labels, FastHistogram>::default();
        let requests = RouteClass::ALL
            .iter()
            .map(|class| {
                STATUS_CLASSES.map(|status| {
                    request_family.get_or_create_owned(&vec![("route", class.label()), ("status", status)])
                })
            })
            .collect();
        let latency = RouteClass::ALL
            .iter()
            .map(|class| latency_family.get_or_create_owned(&vec![("route", class.label())]))
            .collect();
        registry.register("http_requests", "HTTP requests by route class and status class", request_family);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route class",
            latency_family,
        );

        let pushes = Family::<Labels, Counter>::default();
        registry.register("pushes", "Package pushes (CLI and portal) by outcome", pushes.clone());
        let scans = Family::<Labels, Counter>::default();
        registry.register("scans", "Virus scans by result (clean, infected, error)", scans.clone());
        let scan_seconds = Histogram::new(exponential_buckets(0.005, 2.0, 14));
        registry.register("scan_duration_seconds", "Time one virus scan took", scan_seconds.clone());

        let cache_hits = Family::<Labels, Counter>::default();
        registry.register("cache_hits", "Answers served from a memory cache, by cache", cache_hits.clone());
        let cache_misses = Family::<Labels, Counter>::default();
        registry.register("cache_misses", "Lookups a memory cache could not answer, by cache", cache_misses.clone());

        let job_runs = Family::<Labels, Counter>::default();
        registry.register("job_runs", "Scheduled or manual job runs by job and result", job_runs.clone());
        let job_last_run = Family::<Labels, Gauge>::default();
        registry.register(
            "job_last_run_timestamp_seconds",
            "When each job last finished (Unix time)",
            job_last_run.clone(),
        );
        let job_last_seconds = Family::<Labels, FloatGauge>::default();
        registry.register("job_last_duration_seconds", "How long each job's last run took", job_last_seconds.clone());
        let job_last_success = Family::<Labels, Gauge>::default();
        registry.register(
            "job_last_success",
            "1 when each job's last run succeeded, 0 when it failed",
            job_last_success.clone(),
        );

        let database_bytes = Gauge::default();
        registry.register("database_bytes", "Size of the SQLite database with its WAL", database_bytes.clone());
        let data_dir_bytes = Gauge::default();
        registry.register("data_dir_bytes", "Size of everything in the data folder", data_dir_bytes.clone());
        let disk_free_bytes = Gauge::default();
        registry.register(
            "disk_free_bytes",
            "Free space for Galley on the data folder's file system",
            disk_free_bytes.clone(),
        );

        Self {
            registry,
            requests,
            latency,
            pushes,
            scans,
            scan_seconds,
            cache_hits,
            cache_misses,
            job_runs,
            job_last_run,
            job_last_seconds,
            job_last_success,
            database_bytes,
            data_dir_bytes,
            disk_free_bytes,
        }
    }
}

/// One answered HTTP request: two atomic additions and a bucket increment.
pub fn request(class: RouteClass, status: u16, elapsed: Duration) {
    let m = get();
    let index = RouteClass::ALL.iter().position(|c| *c == class).unwrap_or(0);
    let status_class = usize::from(status / 100).clamp(1, 5) - 1;
    m.requests[index][status_class].inc();
    m.latency[index].observe(elapsed);
}

/// One push's outcome: `published`, `accepted` (held for its scan), or the refusal's kind.
pub fn push(outcome: &'static str) {
    get().pushes.get_or_create(&vec![("outcome", outcome)]).inc();
}

/// One scan: its result (`clean`, `infected`, `error`) and how long it took.
pub fn scan(result: &'static str, elapsed: Duration) {
    let m = get();
    m.scans.get_or_create(&vec![("result", result)]).inc();
    m.scan_seconds.observe(elapsed.as_secs_f64());
}

/// A cache's own hit and miss counts (read from the cache when scraped).
pub fn cache_counts(cache: &'static str, hits: u64, misses: u64) {
    let m = get();
    let labels = vec![("cache", cache)];
    m.cache_hits.get_or_create(&labels).inner().store(hits, std::sync::atomic::Ordering::Relaxed);
    m.cache_misses.get_or_create(&labels).inner().store(misses, std::sync::atomic::Ordering::Relaxed);
}

/// One finished job run.
pub fn job(name: &'static str, succeeded: bool, elapsed: Duration) {
    let m = get();
    let result = if succeeded { "success" } else { "failure" };
    m.job_runs.get_or_create(&vec![("job", name), ("result", result)]).inc();
    let labels = vec![("job", name)];
    m.job_last_run.get_or_create(&labels).set(chrono::Utc::now().timestamp());
    m.job_last_seconds.get_or_create(&labels).set(elapsed.as_secs_f64());
    m.job_last_success.get_or_create(&labels).set(i64::from(succeeded));
}

/// The text exposition format Prometheus scrapes (`text/plain; version=0.0.4`).
pub fn render() -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &get().registry);
    out
}

#[cfg(test)]
mod tests {
    use super::RouteClass;

    #[test]
    fn paths_fall_into_route_classes() {
        let cases = [
            ("/v3/flatcontainer/a/index.json", true, RouteClass::FeedV3),
            ("/api/v2/Packages()", true, RouteClass::FeedV2),
            ("/api/v2/package", false, RouteClass::Publish),
            ("/api/account", true, RouteClass::Api),
            ("/static/site.css", true, RouteClass::Static),
            ("/health", true, RouteClass::Health),
            ("/metrics", true, RouteClass::Metrics),
            ("/packages/A", true, RouteClass::Portal),
            ("/", true, RouteClass::Portal),
        ];
        for (path, read, class) in cases {
            assert_eq!(RouteClass::of(path, read), class, "{path}");
        }
    }
}

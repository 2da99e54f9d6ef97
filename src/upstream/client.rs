//! The v3 client of one upstream: resolves its service index once, then reads version lists,
//! registration documents and package files from it.
use super::health::Health;
use crate::config::upstream::IdFilter;
use crate::config::UpstreamConfig;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// What one request to an upstream came to.
#[derive(Debug)]
pub enum Fetched<T> {
    Found(T),
    /// The upstream answered 404: it does not have this.
    Missing,
    /// Unreachable, slow, or an answer that is not a feed's: counted, and backs the upstream off.
    Failed(String),
}

/// The resources of a service index this client uses.
#[derive(Debug, Clone)]
struct Resources {
    /// `PackageBaseAddress/3.0.0`, ending with `/`.
    flat: String,
    /// `RegistrationsBaseUrl` (plain JSON, SemVer 1) and `/3.6.0` (with SemVer 2), ending with `/`.
    registration: Option<String>,
    registration_semver2: Option<String>,
    /// `SearchQueryService` (search merge and `galley import --from-feed`),
    /// `SearchAutocompleteService` (autocomplete merge) and `Catalog/3.0.0` (import, hashes).
    search: Option<String>,
    autocomplete: Option<String>,
    catalog: Option<String>,
}

/// What a search or autocomplete asks an upstream.
#[derive(Debug, Clone, Copy)]
pub struct SearchQuery<'a> {
    pub q: &'a str,
    pub skip: usize,
    pub take: usize,
    pub prerelease: bool,
    pub semver2: bool,
}

/// How long a resolved service index is reused.
const INDEX_TTL: Duration = Duration::from_hours(1);

pub struct Upstream {
    pub config: UpstreamConfig,
    pub filter: IdFilter,
    pub health: Health,
    http: reqwest::Client,
    resources: Mutex<Option<(Resources, Instant)>>,
}

impl Upstream {
    /// `config` was validated at start-up.
    pub fn new(config: UpstreamConfig) -> anyhow::Result<Self> {
        let timeout = Duration::from_secs(config.timeout_seconds);
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("Galley/", env!("CARGO_PKG_VERSION"), " (upstream read-through)"))
            .build()?;
        let filter = IdFilter::new(&config).map_err(anyhow::Error::msg)?;
        Ok(Self { config, filter, health: Health::default(), http, resources: Mutex::new(None) })
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.config.metadata_ttl_minutes * 60)
    }

    /// One GET: `Missing` on 404, `Failed` on anything but a 2xx (and the upstream backs off).
    async fn get(&self, url: &str) -> Fetched<reqwest::Response> {
        if !self.health.may_try() {
            return Fetched::Failed(format!("upstream '{}' is backed off after failures", self.name()));
        }
        let mut request = self.http.get(url);
        if !self.config.username.is_empty() {
            request = request.basic_auth(&self.config.username, Some(&self.config.password));
        }
        match request.send().await {
            Ok(r) if r.status().is_success() => Fetched::Found(r),
            Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => {
                self.health.succeeded();
                Fetched::Missing
            }
            Ok(r) => self.failed(format!("GET {url}: HTTP {}", r.status())),
            Err(e) => self.failed(format!("GET {url}: {}", error_chain(&e))),
        }
    }

    fn failed<T>(&self, message: String) -> Fetched<T> {
        tracing::warn!(upstream = %self.name(), error = %message, "upstream request failed");
        self.health.failed(&message);
        Fetched::Failed(message)
    }

    /// A JSON document, or the reason it is not there.
    async fn json(&self, url: &str) -> Fetched<serde_json::Value> {
        match self.text(url).await {
            Fetched::Found(text) => match serde_json::from_str(&text) {
                Ok(value) => Fetched::Found(value),
                Err(e) => self.failed(format!("GET {url}: not JSON ({e})")),
            },
            Fetched::Missing => Fetched::Missing,
            Fetched::Failed(e) => Fetched::Failed(e),
        }
    }

    async fn text(&self, url: &str) -> Fetched<String> {
        let response = match self.get(url).await {
            Fetched::Found(r) => r,
            Fetched::Missing => return Fetched::Missing,
            Fetched::Failed(e) => return Fetched::Failed(e),
        };
        match response.text().await {
            Ok(text) => {
                self.health.succeeded();
                Fetched::Found(text)
            }
            Err(e) => self.failed(format!("GET {url}: {}", error_chain(&e))),
        }
    }

    async fn resources(&self) -> Result<Resources, String> {
        if let Some((r, at)) = self.resources.lock().ok().and_then(|g| g.clone()) {
            if at.elapsed() < INDEX_TTL {
                return Ok(r);
            }
        }
        let index = match self.json(&self.config.url).await {
            Fetched::Found(v) => v,
            Fetched::Missing => return Err(format!("{}: the service index is not there (404)", self.config.url)),
            Fetched::Failed(e) => return Err(e),
        };
        let find = |kinds: &[&str]| -> Option<String> {
            let list = index.get("resources")?.as_array()?;
            kinds.iter().find_map(|kind| {
                list.iter()
                    .find(|r| r.get("@type").and_then(|t| t.as_str()) == Some(kind))
                    .and_then(|r| r.get("@id")?.as_str())
                    .map(|u| format!("{}/", u.trim_end_matches('/')))
            })
        };
        let Some(flat) = find(&["PackageBaseAddress/3.0.0"]) else {
            let message = format!("{}: the service index has no PackageBaseAddress/3.0.0", self.config.url);
            self.health.failed(&message);
            return Err(message);
        };
        let resources = Resources {
            flat,
            registration: find(&[
                "RegistrationsBaseUrl",
                "RegistrationsBaseUrl/3.0.0-rc",
                "RegistrationsBaseUrl/3.0.0-beta",
            ]),
            registration_semver2: find(&["RegistrationsBaseUrl/3.6.0", "RegistrationsBaseUrl/Versioned"]),
            search: find(&["SearchQueryService", "SearchQueryService/3.0.0-rc", "SearchQueryService/3.5.0"])
                .map(|u| u.trim_end_matches('/').to_owned()),
            autocomplete: find(&[
                "SearchAutocompleteService",
                "SearchAutocompleteService/3.0.0-rc",
                "SearchAutocompleteService/3.5.0",
            ])
            .map(|u| u.trim_end_matches('/').to_owned()),
            catalog: find(&["Catalog/3.0.0"]).map(|u| u.trim_end_matches('/').to_owned()),
        };
        if let Ok(mut slot) = self.resources.lock() {
            *slot = Some((resources.clone(), Instant::now()));
        }
        Ok(resources)
    }

    /// Any JSON document of this upstream, by its URL (a page or catalog link from one of its
    /// documents); a URL on another origin is refused, so a feed cannot send us elsewhere.
    pub async fn document(&self, url: &str) -> Fetched<serde_json::Value> {
        let origin = |u: &str| url::Url::parse(u).ok().map(|u| u.origin());
        if origin(url).is_none() || origin(url) != origin(&self.config.url) {
            return Fetched::Failed(format!("{url} is not on the upstream's origin"));
        }
        self.json(url).await
    }

    /// The catalog index URL, when the feed has a catalog.
    pub async fn catalog(&self) -> Result<Option<String>, String> {
        Ok(self.resources().await?.catalog)
    }

    /// One page of search results (every id, prerelease and SemVer 2.0 included).
    pub async fn search_page(&self, skip: usize, take: usize) -> Fetched<serde_json::Value> {
        self.search(&SearchQuery { q: "", skip, take, prerelease: true, semver2: true }).await
    }

    /// One page of the upstream's answer to a search.
    pub async fn search(&self, query: &SearchQuery<'_>) -> Fetched<serde_json::Value> {
        let resources = match self.resources().await {
            Ok(r) => r,
            Err(e) => return Fetched::Failed(e),
        };
        let Some(search) = resources.search else {
            return Fetched::Failed(format!("{}: the service index has no SearchQueryService", self.config.url));
        };
        self.query_json(&search, query).await
    }

    /// One page of the upstream's id autocomplete; `Missing` when its index has no such service.
    pub async fn autocomplete(&self, query: &SearchQuery<'_>) -> Fetched<serde_json::Value> {
        let resources = match self.resources().await {
            Ok(r) => r,
            Err(e) => return Fetched::Failed(e),
        };
        match resources.autocomplete {
            Some(autocomplete) => self.query_json(&autocomplete, query).await,
            None => Fetched::Missing,
        }
    }

    async fn query_json(&self, base: &str, query: &SearchQuery<'_>) -> Fetched<serde_json::Value> {
        let params = [
            ("q", query.q.to_owned()),
            ("skip", query.skip.to_string()),
            ("take", query.take.to_string()),
            ("prerelease", query.prerelease.to_string()),
            ("semVerLevel", if query.semver2 { "2.0.0" } else { "1.0.0" }.to_owned()),
        ];
        match url::Url::parse_with_params(base, &params) {
            Ok(url) => self.json(url.as_str()).await,
            Err(e) => self.failed(format!("{base}: not a URL ({e})")),
        }
    }

    /// The id's versions (lowercase normalized, as the flat container lists them).
    pub async fn versions(&self, id_lower: &str) -> Fetched<Vec<String>> {
        let resources = match self.resources().await {
            Ok(r) => r,
            Err(e) => return Fetched::Failed(e),
        };
        let url = format!("{}{id_lower}/index.json", resources.flat);
        match self.json(&url).await {
            Fetched::Found(doc) => {
                let versions = doc.get("versions").and_then(|v| v.as_array()).map(|list| {
                    list.iter().filter_map(|v| v.as_str()).map(str::to_ascii_lowercase).collect::<Vec<_>>()
                });
                match versions {
                    Some(v) if !v.is_empty() => Fetched::Found(v),
                    Some(_) => Fetched::Missing,
                    None => self.failed(format!("GET {url}: no \"versions\" array")),
                }
            }
            Fetched::Missing => Fetched::Missing,
            Fetched::Failed(e) => Fetched::Failed(e),
        }
    }

    /// A registration document below the id (`index.json`, `page/…`, `{version}.json`), with the
    /// base URLs it was read from (registration, flat container) so the caller can rewrite them.
    pub async fn registration(&self, semver2: bool, id_lower: &str, rest: &str) -> Fetched<(String, String, String)> {
        let resources = match self.resources().await {
            Ok(r) => r,
            Err(e) => return Fetched::Failed(e),
        };
        let base = if semver2 {
            resources.registration_semver2.clone().or(resources.registration.clone())
        } else {
            resources.registration.clone().or(resources.registration_semver2.clone())
        };
        let Some(base) = base else {
            return Fetched::Missing;
        };
        match self.text(&format!("{base}{id_lower}/{rest}")).await {
            Fetched::Found(text) => Fetched::Found((text, base, resources.flat)),
            Fetched::Missing => Fetched::Missing,
            Fetched::Failed(e) => Fetched::Failed(e),
        }
    }

    /// Downloads a package file to `dest`; more than `max_bytes` is a failure.
    pub async fn download(&self, id_lower: &str, version_lower: &str, dest: &Path, max_bytes: u64) -> Fetched<u64> {
        let resources = match self.resources().await {
            Ok(r) => r,
            Err(e) => return Fetched::Failed(e),
        };
        let url = format!("{}{id_lower}/{version_lower}/{id_lower}.{version_lower}.nupkg", resources.flat);
        let mut response = match self.get(&url).await {
            Fetched::Found(r) => r,
            Fetched::Missing => return Fetched::Missing,
            Fetched::Failed(e) => return Fetched::Failed(e),
        };
        let mut file = match tokio::fs::File::create(dest).await {
            Ok(f) => f,
            Err(e) => return Fetched::Failed(format!("cannot write {}: {e}", dest.display())),
        };
        let mut written = 0u64;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    written += chunk.len() as u64;
                    if written > max_bytes {
                        return Fetched::Failed(format!("GET {url}: larger than the server's package size limit"));
                    }
                    if let Err(e) = file.write_all(&chunk).await {
                        return Fetched::Failed(format!("cannot write {}: {e}", dest.display()));
                    }
                }
                Ok(None) => break,
                Err(e) => return self.failed(format!("GET {url}: {}", error_chain(&e))),
            }
        }
        if let Err(e) = file.flush().await {
            return Fetched::Failed(format!("cannot write {}: {e}", dest.display()));
        }
        self.health.succeeded();
        Fetched::Found(written)
    }
}

/// reqwest's own message is "error sending request"; the cause says what went wrong.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

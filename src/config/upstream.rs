//! One `[[upstream]]` table: its keys and defaults, the start-up checks of every table, and which
//! ids it may supply (its `include` and `exclude` globs, case-insensitive). Kept with the config so
//! that checking it at start-up needs nothing above the config layer.
use super::ConfigError;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

/// One `[[upstream]]` table: a NuGet v3 feed that may supply ids not held locally.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct UpstreamConfig {
    /// Shown in the portal and logs; unique.
    pub name: String,
    /// The feed's v3 service index.
    pub url: String,
    /// Ids (case-insensitive globs) this upstream may supply.
    pub include: Vec<String>,
    /// Ids never taken from it.
    pub exclude: Vec<String>,
    /// Optional Basic credentials.
    pub username: String,
    pub password: String,
    /// How long an id's version list from this upstream is trusted.
    pub metadata_ttl_minutes: u64,
    pub timeout_seconds: u64,
    /// Include this upstream's results in search.
    pub search: bool,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        Self {
            name: String::new(),
            url: String::new(),
            include: vec!["*".into()],
            exclude: Vec::new(),
            username: String::new(),
            password: String::new(),
            metadata_ttl_minutes: 30,
            timeout_seconds: 30,
            search: false,
        }
    }
}

/// The compiled `include` and `exclude` lists of one upstream.
#[derive(Debug, Clone)]
pub struct IdFilter {
    include: GlobSet,
    exclude: GlobSet,
}

impl IdFilter {
    pub fn new(config: &UpstreamConfig) -> Result<Self, String> {
        Ok(Self { include: globs(&config.include, "include")?, exclude: globs(&config.exclude, "exclude")? })
    }

    /// True when the id is inside `include` and outside `exclude`.
    pub fn admits(&self, id_lower: &str) -> bool {
        self.include.is_match(id_lower) && !self.exclude.is_match(id_lower)
    }
}

fn globs(patterns: &[String], key: &str) -> Result<GlobSet, String> {
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        // Ids hold no '/', so `*` matching across it or not makes no difference.
        let glob = GlobBuilder::new(pattern.trim())
            .case_insensitive(true)
            .build()
            .map_err(|e| format!("{key} pattern '{pattern}' is not a glob: {}", e.kind()))?;
        set.add(glob);
    }
    set.build().map_err(|e| format!("{key}: {e}"))
}

/// Checks every `[[upstream]]` table; the message names the table and says what to change.
pub fn validate_all(upstreams: &[UpstreamConfig]) -> Result<(), ConfigError> {
    let mut names = std::collections::HashSet::new();
    for (n, upstream) in upstreams.iter().enumerate() {
        let label = if upstream.name.trim().is_empty() {
            format!("[[upstream]] #{}", n + 1)
        } else {
            format!("[[upstream]] '{}'", upstream.name)
        };
        let invalid = |m: String| Err(ConfigError::Invalid(format!("{label}: {m}")));
        if upstream.name.trim().is_empty() {
            return invalid("name must be set (it is shown in the portal and logs)".into());
        }
        if !names.insert(upstream.name.to_ascii_lowercase()) {
            return invalid("name is used by another [[upstream]]; names must be unique".into());
        }
        let url_ok = url::Url::parse(&upstream.url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !url_ok {
            return invalid(format!(
                "url = '{}' must be the http(s) URL of a NuGet v3 service index, e.g. https://api.nuget.org/v3/index.json",
                upstream.url
            ));
        }
        if upstream.include.is_empty() {
            return invalid("include is empty, so the upstream could supply nothing; use [\"*\"] for every id".into());
        }
        if upstream.username.is_empty() != upstream.password.is_empty() {
            return invalid("username and password must be set together (or both left empty)".into());
        }
        if !(1..=600).contains(&upstream.timeout_seconds) {
            return invalid("timeout_seconds must be between 1 and 600".into());
        }
        if upstream.metadata_ttl_minutes > 10_080 {
            return invalid("metadata_ttl_minutes must be at most 10080 (a week)".into());
        }
        if let Err(m) = IdFilter::new(upstream) {
            return invalid(m);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream(name: &str) -> UpstreamConfig {
        UpstreamConfig { name: name.into(), url: "https://api.nuget.org/v3/index.json".into(), ..Default::default() }
    }

    fn error(list: &[UpstreamConfig]) -> String {
        validate_all(list).unwrap_err().to_string()
    }

    #[test]
    fn globs_are_case_insensitive_and_exclude_wins() {
        let filter = IdFilter::new(&UpstreamConfig {
            include: vec!["Newtonsoft.*".into(), "Serilog".into()],
            exclude: vec!["newtonsoft.internal*".into()],
            ..upstream("a")
        })
        .unwrap();
        assert!(filter.admits("newtonsoft.json"));
        assert!(filter.admits("serilog"));
        assert!(!filter.admits("serilog.sinks.file"));
        assert!(!filter.admits("newtonsoft.internaltools"));
        assert!(!filter.admits("contoso.core"));
    }

    #[test]
    fn a_good_list_passes() {
        validate_all(&[
            upstream("nuget.org"),
            UpstreamConfig { username: "u".into(), password: "p".into(), ..upstream("b") },
        ])
        .unwrap();
    }

    #[test]
    fn bad_tables_are_refused_with_a_message_naming_them() {
        let unnamed = UpstreamConfig { name: String::new(), ..upstream("") };
        assert_eq!(
            error(&[unnamed]),
            "invalid configuration: [[upstream]] #1: name must be set (it is shown in the portal and logs)"
        );
        assert_eq!(
            error(&[upstream("a"), upstream("A")]),
            "invalid configuration: [[upstream]] 'A': name is used by another [[upstream]]; names must be unique"
        );
        let ftp = UpstreamConfig { url: "ftp://x/index.json".into(), ..upstream("a") };
        assert!(
            error(&[ftp]).contains("url = 'ftp://x/index.json' must be the http(s) URL of a NuGet v3 service index")
        );
        let nothing = UpstreamConfig { include: vec![], ..upstream("a") };
        assert!(error(&[nothing]).contains("include is empty"));
        let half = UpstreamConfig { username: "u".into(), ..upstream("a") };
        assert!(error(&[half]).ends_with("username and password must be set together (or both left empty)"));
        let slow = UpstreamConfig { timeout_seconds: 0, ..upstream("a") };
        assert!(error(&[slow]).ends_with("timeout_seconds must be between 1 and 600"));
        let bad_glob = UpstreamConfig { exclude: vec!["Contoso.[".into()], ..upstream("a") };
        assert!(
            error(&[bad_glob]).contains("exclude pattern 'Contoso.[' is not a glob"),
            "{}",
            error(&[UpstreamConfig { exclude: vec!["Contoso.[".into()], ..upstream("a") }])
        );
    }
}

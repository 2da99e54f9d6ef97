//! Where the ClamAV daemon listens (`[scan] clamd_address`): parsed here because the config is
//! validated at start-up, before any scanner exists; `scan::clamd` connects to it.
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// `host:port`.
    Tcp(String),
    Unix(PathBuf),
}

impl Address {
    /// `tcp://127.0.0.1:3310` or `unix:/run/clamav/clamd.ctl` (also `unix:///run/...`).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Some(hostport) = text.strip_prefix("tcp://") {
            let (host, port) = hostport.trim_end_matches('/').rsplit_once(':')?;
            port.parse::<u16>().ok()?;
            return (!host.is_empty()).then(|| Address::Tcp(format!("{host}:{port}")));
        }
        let path = text.strip_prefix("unix:")?;
        let path = path.strip_prefix("//").unwrap_or(path);
        path.starts_with('/').then(|| Address::Unix(PathBuf::from(path)))
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Address::Tcp(a) => write!(f, "tcp://{a}"),
            Address::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

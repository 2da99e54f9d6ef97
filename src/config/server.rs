//! `[server]`: how Galley sits behind reverse proxies.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` / `Forwarded` headers name
    /// the client. Empty = the TCP peer is the client and those headers are ignored.
    pub trusted_proxies: Vec<String>,
}

impl ServerConfig {
    /// The parsed ranges (`validate` has refused anything unparsable).
    pub fn trusted_proxy_nets(&self) -> Vec<ipnet::IpNet> {
        self.trusted_proxies.iter().filter_map(|p| parse_net(p)).collect()
    }
}

/// `10.0.0.0/8`, `::1/128`, or a bare address (a range of one).
pub(super) fn parse_net(text: &str) -> Option<ipnet::IpNet> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>().ok().or_else(|| text.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
}

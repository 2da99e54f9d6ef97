//! Which address a request comes from, for rate limits and the audit log: the TCP peer, unless
//! the peer is one of `[server] trusted_proxies`; then the proxies' `Forwarded` (RFC 7239) or
//! `X-Forwarded-For` header is read from the right, skipping trusted hops, and the first address
//! that is not a trusted proxy is the client. Anything a client could have forged (the left of
//! the list, a header sent straight to Galley) is never believed.
use actix_web::http::header::HeaderMap;
use actix_web::HttpRequest;
use ipnet::IpNet;
use std::net::IpAddr;

/// The client address of `req` under the configuration's proxy rule.
pub fn of(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let trusted = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .map(|s| s.config.server.trusted_proxy_nets())
        .unwrap_or_default();
    Some(resolve(peer, req.headers(), &trusted))
}

/// True when the browser reached Galley over https: the public URL says so, or (with `base_url`
/// left empty or plain http) a trusted proxy says it terminated TLS with `X-Forwarded-Proto:
/// https` or `Forwarded: proto=https`. Decides the cookies' `Secure` flag.
pub fn is_https(req: &HttpRequest) -> bool {
    let Some(state) = req.app_data::<actix_web::web::Data<crate::state::AppState>>() else {
        return false;
    };
    if state.urls.is_https() {
        return true;
    }
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return false;
    };
    let trusted = state.config.server.trusted_proxy_nets();
    if !trusted.iter().any(|net| net.contains(&peer)) {
        return false;
    }
    forwarded_proto(req.headers()).is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

/// The scheme the nearest proxy saw: `Forwarded: proto=` (rightmost element) or `X-Forwarded-Proto`.
fn forwarded_proto(headers: &HeaderMap) -> Option<String> {
    let from_forwarded = headers
        .get_all("forwarded")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                key.trim().eq_ignore_ascii_case("proto").then(|| value.trim().trim_matches('"').to_owned())
            })
        })
        .last();
    from_forwarded.or_else(|| {
        let value = headers.get_all("x-forwarded-proto").filter_map(|v| v.to_str().ok()).last()?;
        value.rsplit(',').next().map(|p| p.trim().to_owned())
    })
}

/// The rule itself, apart from actix, so it can be tested with any header set.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops = forwarded_hops(headers);
    let mut client = peer;
    for hop in hops.iter().rev() {
        // An unparsable hop (`unknown`, an obfuscated name) ends what can be believed.
        let Some(ip) = hop else { break };
        client = *ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

/// The addresses a proxy chain recorded, leftmost first. `Forwarded` wins over `X-Forwarded-For`
/// when both are present, as RFC 7239 asks.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers.get_all("forwarded").filter_map(|v| v.to_str().ok()).collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (key, value) = pair.split_once('=')?;
                    key.trim().eq_ignore_ascii_case("for").then(|| parse_node(value))
                })
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(parse_node)
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_node(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once(']').and_then(|(ip, _)| ip.parse().ok());
    }
    text.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::{forwarded_proto, resolve};
    use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        map
    }

    /// (TCP peer, headers, expected client address)
    type Case = (std::net::IpAddr, &'static [(&'static str, &'static str)], &'static str);

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let proxy: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        let stranger: std::net::IpAddr = "203.0.113.9".parse().unwrap();
        let trusted = vec!["127.0.0.1/32".parse().unwrap(), "10.0.0.0/8".parse().unwrap()];
        let cases: &[Case] = &[
            // No proxies configured for this peer: headers are ignored.
            (stranger, &[("x-forwarded-for", "198.51.100.1")], "203.0.113.9"),
            (proxy, &[], "127.0.0.1"),
            (proxy, &[("x-forwarded-for", "198.51.100.1")], "198.51.100.1"),
            // A client-forged left part is skipped: the rightmost untrusted hop wins.
            (proxy, &[("x-forwarded-for", "6.6.6.6, 198.51.100.1")], "198.51.100.1"),
            (proxy, &[("x-forwarded-for", "198.51.100.1, 10.1.2.3")], "198.51.100.1"),
            (proxy, &[("x-forwarded-for", "6.6.6.6"), ("x-forwarded-for", "198.51.100.2")], "198.51.100.2"),
            (proxy, &[("forwarded", "for=198.51.100.3;proto=https")], "198.51.100.3"),
            (proxy, &[("forwarded", r#"for="[2001:db8::7]:4711""#)], "2001:db8::7"),
            (proxy, &[("forwarded", "for=198.51.100.4:80, for=10.0.0.2")], "198.51.100.4"),
            (proxy, &[("forwarded", "for=198.51.100.5"), ("x-forwarded-for", "6.6.6.6")], "198.51.100.5"),
            // Garbage stops the walk at the last believable hop.
            (proxy, &[("x-forwarded-for", "198.51.100.1, unknown")], "127.0.0.1"),
            (proxy, &[("forwarded", "for=unknown")], "127.0.0.1"),
        ];
        for (peer, pairs, expected) in cases {
            assert_eq!(resolve(*peer, &headers(pairs), &trusted).to_string(), *expected, "{peer} {pairs:?}");
        }
    }

    #[test]
    fn the_nearest_proxys_scheme_is_read() {
        type Pairs = &'static [(&'static str, &'static str)];
        let cases: &[(Pairs, Option<&str>)] = &[
            (&[], None),
            (&[("x-forwarded-proto", "https")], Some("https")),
            (&[("x-forwarded-proto", "http, https")], Some("https")),
            (&[("forwarded", "for=1.2.3.4;proto=https")], Some("https")),
            (&[("forwarded", "proto=http"), ("x-forwarded-proto", "https")], Some("http")),
        ];
        for (pairs, expected) in cases {
            assert_eq!(forwarded_proto(&headers(pairs)).as_deref(), *expected, "{pairs:?}");
        }
    }
}

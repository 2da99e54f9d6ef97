//! One `[[oidc]]` table (an OIDC provider people may sign in with) and the start-up
//! checks of every table. Kept with the config so that a bad table stops the server at start.
use super::ConfigError;
use serde::{Deserialize, Serialize};

/// One `[[oidc]]` table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct OidcConfig {
    /// Shown on the button ("Sign in with NAME") and in the callback URL; unique.
    pub name: String,
    /// The issuer; its `/.well-known/openid-configuration` is read for the endpoints and keys.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Scopes asked for besides `openid`, which is always sent.
    pub scopes: Vec<String>,
    /// The ID token claim a new account's username is taken from.
    pub username_claim: String,
    pub email_claim: String,
    /// The ID token claim listing the person's groups (names or ids, as the provider sends them).
    pub groups_claim: String,
    /// Only members of one of these groups may sign in; empty = everyone the provider accepts.
    pub allowed_groups: Vec<String>,
    /// Members of one of these groups are administrators; checked (granted and revoked) at each
    /// sign-in. Empty = the provider never changes the admin role.
    pub admin_groups: Vec<String>,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            name: String::new(),
            issuer: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            scopes: vec!["profile".into(), "email".into()],
            username_claim: "preferred_username".into(),
            email_claim: "email".into(),
            groups_claim: "groups".into(),
            allowed_groups: Vec::new(),
            admin_groups: Vec::new(),
        }
    }
}

/// True for a host on this machine (`localhost`, 127.0.0.0/8, `::1`): plain http is accepted only
/// there (the loopback exception of RFC 8252), for a provider run beside Galley or in a test.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        None => false,
    }
}

/// Checks every `[[oidc]]` table; the message names the table and says what to change.
pub fn validate_all(providers: &[OidcConfig]) -> Result<(), ConfigError> {
    let mut names = std::collections::HashSet::new();
    for (n, p) in providers.iter().enumerate() {
        let at = format!("[[oidc]] #{} ('{}')", n + 1, p.name);
        let invalid = |m: String| Err(ConfigError::Invalid(format!("{at}: {m}")));
        let name_ok = !p.name.is_empty()
            && p.name.len() <= 40
            && p.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        if !name_ok {
            return invalid(
                "name must be 1 to 40 letters, digits, '-', '_' or '.' (it is part of the callback URL)".into(),
            );
        }
        if !names.insert(p.name.to_lowercase()) {
            return invalid("another [[oidc]] table has the same name".into());
        }
        let Ok(issuer) = url::Url::parse(&p.issuer) else {
            return invalid(format!("issuer = '{}' is not a URL like https://login.example.com/realm", p.issuer));
        };
        match issuer.scheme() {
            "https" => {}
            "http" if is_loopback(&issuer) => {}
            _ => {
                return invalid(format!(
                    "issuer = '{}' must be an https URL (plain http only for a provider on this machine)",
                    p.issuer
                ))
            }
        }
        if p.client_id.trim().is_empty() || p.client_secret.is_empty() {
            return invalid("client_id and client_secret must be set (from the provider's client registration)".into());
        }
        for (key, value) in [("username_claim", &p.username_claim), ("email_claim", &p.email_claim)] {
            if value.trim().is_empty() {
                return invalid(format!("{key} must name a claim of the ID token"));
            }
        }
        let needs_groups = !p.allowed_groups.is_empty() || !p.admin_groups.is_empty();
        if needs_groups && p.groups_claim.trim().is_empty() {
            return invalid("groups_claim must name a claim when allowed_groups or admin_groups are set".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> OidcConfig {
        OidcConfig {
            name: "corp".into(),
            issuer: "https://login.example.com".into(),
            client_id: "galley".into(),
            client_secret: "s3cret".into(),
            ..OidcConfig::default()
        }
    }

    fn error(p: OidcConfig) -> String {
        validate_all(&[p]).unwrap_err().to_string()
    }

    #[test]
    fn https_issuers_and_loopback_http_issuers_are_accepted() {
        validate_all(&[provider()]).unwrap();
        for issuer in ["http://127.0.0.1:4000", "http://localhost:9/x", "http://[::1]:80"] {
            validate_all(&[OidcConfig { issuer: issuer.into(), ..provider() }]).unwrap();
        }
    }

    #[test]
    fn bad_tables_are_refused_with_what_to_change() {
        assert_eq!(
            error(OidcConfig { issuer: "http://login.example.com".into(), ..provider() }),
            "invalid configuration: [[oidc]] #1 ('corp'): issuer = 'http://login.example.com' must be an https URL \
             (plain http only for a provider on this machine)"
        );
        assert!(error(OidcConfig { name: "a b".into(), ..provider() }).contains("name must be 1 to 40"));
        assert!(error(OidcConfig { issuer: "login".into(), ..provider() }).contains("is not a URL"));
        assert!(error(OidcConfig { client_secret: String::new(), ..provider() }).contains("client_secret"));
        assert!(error(OidcConfig { email_claim: " ".into(), ..provider() }).contains("email_claim must name"));
        let groups = OidcConfig { groups_claim: String::new(), admin_groups: vec!["ops".into()], ..provider() };
        assert!(error(groups).contains("groups_claim must name a claim"));
        let twice = validate_all(&[provider(), OidcConfig { name: "CORP".into(), ..provider() }]).unwrap_err();
        assert!(twice.to_string().contains("same name"), "{twice}");
    }
}

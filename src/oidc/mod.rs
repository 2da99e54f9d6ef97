//! OIDC providers (`[[oidc]]`), the adapter to them: discovery (read lazily, kept for an
//! hour, read again after a failure), the authorization URL with PKCE, state and nonce, and the
//! code exchange whose ID token is verified against the provider's keys by the `openidconnect`
//! crate. What an answer means for an account is decided by `services::oidc_signin`.
mod flow;

pub use flow::{Authorization, Verified};

use crate::config::OidcConfig;
use crate::protocol::urls::UrlGenerator;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A discovery document (with its keys) is trusted this long; then it is read again, which also
/// picks up rotated signing keys.
const DISCOVERY_TTL: Duration = Duration::from_hours(1);
/// One request to a provider (discovery, keys, token) may take this long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a provider's answer was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider could not be reached or answered nonsense (discovery, keys, token endpoint).
    #[error("{0}")]
    Unreachable(String),
    /// The provider refused the code (already used, issued to another client, expired).
    #[error("{0}")]
    CodeRefused(String),
    /// The ID token failed a check; the text says which, in words for the person signing in.
    #[error("{0}")]
    BadToken(&'static str),
}

/// Every configured provider, in the order of the configuration.
pub struct Providers {
    list: Vec<Provider>,
}

pub struct Provider {
    pub config: OidcConfig,
    /// `{base_url}/users/account/oidc/{name}/callback`, registered with the provider.
    pub redirect_uri: String,
    http: reqwest::Client,
    discovered: tokio::sync::Mutex<Option<(Instant, Arc<flow::Discovered>)>>,
}

impl Providers {
    pub fn new(configs: &[OidcConfig], urls: &UrlGenerator) -> anyhow::Result<Self> {
        // No redirects: a provider's endpoints answer directly, and following redirects from a
        // discovery document would let it point Galley's requests anywhere (the crate's advice).
        let http =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(REQUEST_TIMEOUT).build()?;
        let list = configs
            .iter()
            .map(|config| Provider {
                redirect_uri: urls.oidc_callback(&config.name),
                config: config.clone(),
                http: http.clone(),
                discovered: tokio::sync::Mutex::new(None),
            })
            .collect();
        Ok(Self { list })
    }

    /// The provider of this name (names compare case-insensitively, as the config checks them).
    pub fn get(&self, name: &str) -> Option<&Provider> {
        self.list.iter().find(|p| p.config.name.eq_ignore_ascii_case(name))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.list.iter().map(|p| p.config.name.as_str())
    }
}

impl Provider {
    /// The discovered endpoints and keys, read now when not known or too old.
    async fn discovered(&self) -> Result<Arc<flow::Discovered>, OidcError> {
        let mut slot = self.discovered.lock().await;
        if let Some((at, d)) = slot.as_ref() {
            if at.elapsed() < DISCOVERY_TTL {
                return Ok(d.clone());
            }
        }
        let d = Arc::new(flow::discover(&self.config, &self.redirect_uri, &self.http).await?);
        *slot = Some((Instant::now(), d.clone()));
        Ok(d)
    }

    /// Where to send the browser, with fresh state, nonce and PKCE verifier to keep.
    pub async fn authorize(&self) -> Result<Authorization, OidcError> {
        Ok(self.discovered().await?.authorize(&self.config.scopes))
    }

    /// Exchanges the code (with the PKCE verifier) and verifies the ID token: signature against
    /// the provider's keys, issuer, audience (this client id), expiry and nonce.
    pub async fn finish(&self, code: &str, pkce_verifier: &str, nonce: &str) -> Result<Verified, OidcError> {
        self.discovered().await?.finish(&self.http, code, pkce_verifier, nonce).await
    }
}

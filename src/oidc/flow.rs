//! The protocol steps, through the `openidconnect` crate: discovery, the authorization URL, the
//! code exchange and the ID token's verification. The verified token's claims are handed on as
//! JSON, so any claim can be read by the name the configuration gives.
use super::OidcError;
use crate::config::OidcConfig;
use base64::Engine;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenVerifier, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    TokenResponse,
};

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// A provider's discovered client: endpoints, keys, and Galley's registration with it.
pub struct Discovered {
    client: Client,
}

/// A sign-in about to be sent to the provider.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// A verified ID token: its subject and every claim.
#[derive(Debug)]
pub struct Verified {
    pub subject: String,
    pub claims: serde_json::Map<String, serde_json::Value>,
}

pub async fn discover(
    config: &OidcConfig,
    redirect_uri: &str,
    http: &reqwest::Client,
) -> Result<Discovered, OidcError> {
    let unreachable = |e: &dyn std::fmt::Display| {
        tracing::warn!(provider = %config.name, issuer = %config.issuer, error = %e, "OpenID Connect discovery failed");
        OidcError::Unreachable(format!("discovery at {} failed", config.issuer))
    };
    let issuer = IssuerUrl::new(config.issuer.clone()).map_err(|e| unreachable(&e))?;
    let metadata = CoreProviderMetadata::discover_async(issuer, http).await.map_err(|e| unreachable(&e))?;
    let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| unreachable(&e))?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(config.client_id.clone()),
        Some(ClientSecret::new(config.client_secret.clone())),
    )
    .set_redirect_uri(redirect);
    Ok(Discovered { client })
}

impl Discovered {
    pub fn authorize(&self, scopes: &[String]) -> Authorization {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = self
            .client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .set_pkce_challenge(challenge);
        for scope in scopes.iter().filter(|s| !s.trim().is_empty() && s.as_str() != "openid") {
            request = request.add_scope(Scope::new(scope.trim().to_owned()));
        }
        let (url, state, nonce) = request.url();
        Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        }
    }

    pub async fn finish(
        &self,
        http: &reqwest::Client,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<Verified, OidcError> {
        let request = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Unreachable(format!("the provider has no token endpoint ({e})")))?;
        let response = request
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r) => {
                    tracing::info!(error = %r, "OpenID Connect token endpoint refused the code");
                    OidcError::CodeRefused(r.error().to_string())
                }
                other => {
                    tracing::warn!(error = ?other, "OpenID Connect token request failed");
                    OidcError::Unreachable("the token request failed".into())
                }
            })?;
        let id_token = response.id_token().ok_or(OidcError::BadToken("the provider sent no ID token"))?;
        verify(id_token, &self.client.id_token_verifier(), nonce)
    }
}

/// Checks the ID token (signature against the provider's keys, issuer, audience = this client,
/// expiry, nonce) and hands on its subject and claims.
pub(super) fn verify(
    id_token: &CoreIdToken,
    verifier: &CoreIdTokenVerifier<'_>,
    nonce: &str,
) -> Result<Verified, OidcError> {
    let claims = id_token.claims(verifier, &Nonce::new(nonce.to_owned())).map_err(|e| {
        tracing::info!(error = %e, "OpenID Connect ID token refused");
        OidcError::BadToken(refusal(&e))
    })?;
    let subject = claims.subject().to_string();
    // The signature covers these exact bytes, so reading the claims from them is safe; it lets
    // the configuration name any claim (groups, custom usernames) the crate has no field for.
    let payload = id_token
        .to_string()
        .split('.')
        .nth(1)
        .and_then(|p| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok());
    let claims = payload
        .and_then(|bytes| serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes).ok())
        .ok_or(OidcError::BadToken("the ID token's claims are not a JSON object"))?;
    Ok(Verified { subject, claims })
}

/// The check an ID token failed, in words.
fn refusal(e: &ClaimsVerificationError) -> &'static str {
    match e {
        ClaimsVerificationError::Expired(_) => "the ID token has expired",
        ClaimsVerificationError::InvalidAudience(_) => "the ID token was issued to another client",
        ClaimsVerificationError::InvalidNonce(_) => "the ID token belongs to another sign-in (wrong nonce)",
        ClaimsVerificationError::InvalidIssuer(_) => "the ID token comes from another issuer",
        ClaimsVerificationError::SignatureVerification(_) => "the ID token's signature does not verify",
        _ => "the ID token is not valid",
    }
}

#[cfg(test)]
#[path = "flow_tests.rs"]
mod tests;

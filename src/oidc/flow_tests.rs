//! The ID token checks with tokens signed here (a test-only RSA key): every refusal's words, and
//! that a good token hands on every claim. The same checks run against a real provider in
//! `tests/oidc/run.py`; these cover the cases a certified provider will not produce on demand
//! (a token for another audience, a bad signature, another issuer).
use super::{verify, OidcError};
use chrono::{Duration, Utc};
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreRsaPrivateSigningKey,
};
use openidconnect::{
    Audience, ClientId, ClientSecret, EmptyAdditionalClaims, IssuerUrl, JsonWebKeyId, Nonce, PrivateSigningKey,
    StandardClaims, SubjectIdentifier,
};

const KEY: &str = include_str!("../../tests/fixtures/oidc/test-only-signing-key.pem");
const ISSUER: &str = "https://login.example.com";

fn key() -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(KEY, Some(JsonWebKeyId::new("k1".into()))).unwrap()
}

struct Token {
    issuer: &'static str,
    audience: &'static str,
    expires_in: Duration,
    nonce: &'static str,
}

const GOOD: Token = Token { issuer: ISSUER, audience: "galley", expires_in: Duration::minutes(5), nonce: "n-1" };

fn sign(t: &Token, key: &CoreRsaPrivateSigningKey) -> CoreIdToken {
    let now = Utc::now();
    let claims = CoreIdTokenClaims::new(
        IssuerUrl::new(t.issuer.into()).unwrap(),
        vec![Audience::new(t.audience.into())],
        now + t.expires_in,
        now - Duration::minutes(10),
        StandardClaims::new(SubjectIdentifier::new("subject-1".into())),
        EmptyAdditionalClaims {},
    )
    .set_nonce(Some(Nonce::new(t.nonce.into())));
    CoreIdToken::new(claims, key, CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, None, None).unwrap()
}

fn check(token: &CoreIdToken) -> Result<super::Verified, OidcError> {
    let jwks = CoreJsonWebKeySet::new(vec![key().as_verification_key()]);
    let verifier = CoreIdTokenVerifier::new_confidential_client(
        ClientId::new("galley".into()),
        ClientSecret::new("secret".into()),
        IssuerUrl::new(ISSUER.into()).unwrap(),
        jwks,
    );
    verify(token, &verifier, "n-1")
}

fn refusal(token: &CoreIdToken) -> &'static str {
    match check(token) {
        Err(OidcError::BadToken(reason)) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_good_token_hands_on_its_subject_and_claims() {
    let verified = check(&sign(&GOOD, &key())).unwrap();
    assert_eq!(verified.subject, "subject-1");
    assert_eq!(verified.claims["sub"], "subject-1");
    assert_eq!(verified.claims["iss"], ISSUER);
    assert_eq!(verified.claims["nonce"], "n-1");
}

#[test]
fn each_failed_check_is_named() {
    assert_eq!(
        refusal(&sign(&Token { audience: "other", ..GOOD }, &key())),
        "the ID token was issued to another client"
    );
    assert_eq!(
        refusal(&sign(&Token { expires_in: Duration::minutes(-1), ..GOOD }, &key())),
        "the ID token has expired"
    );
    assert_eq!(
        refusal(&sign(&Token { nonce: "n-2", ..GOOD }, &key())),
        "the ID token belongs to another sign-in (wrong nonce)"
    );
    assert_eq!(
        refusal(&sign(&Token { issuer: "https://evil.example.com", ..GOOD }, &key())),
        "the ID token comes from another issuer"
    );
}

#[test]
fn a_token_signed_with_another_key_is_refused() {
    // The same key under another id is not in the provider's key set.
    let other = CoreRsaPrivateSigningKey::from_pem(KEY, Some(JsonWebKeyId::new("k2".into()))).unwrap();
    assert_eq!(refusal(&sign(&GOOD, &other)), "the ID token's signature does not verify");
}

//! Random single-use tokens for links and sessions. Only a SHA-256 of a token is stored: the
//! token has 256 bits of entropy, so a fast unsalted hash is enough and lets us look it up.
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh URL-safe token (43 characters).
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a token.
pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.trim().as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_url_safe_unique_and_hash_stably() {
        let a = generate();
        assert_eq!(a.len(), 43);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(a, generate());
        assert_eq!(hash(&a), hash(&format!(" {a}\n")));
        assert_eq!(hash(&a).len(), 32);
    }
}

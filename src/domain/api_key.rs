//! API keys as nuget.org has them: a high-entropy secret shown once, scopes, id patterns, expiry.
//! Stored only as an HMAC-SHA256 of the secret under the server's own key: fast to check on
//! every push (unlike bcrypt) and useless to someone who steals only the database.
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::fmt;

/// Every key starts with this, so secret scanners and people can recognise one.
pub const KEY_PREFIX: &str = "gly_";
/// Characters of the key shown in listings to tell keys apart.
pub const VISIBLE_PREFIX_LEN: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Push new packages and new versions.
    Push,
    /// Push new versions of packages the account already owns, never a new id.
    PushVersion,
    /// Unlist and relist (and delete, which unlists).
    Unlist,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Push => "push",
            Scope::PushVersion => "push-version",
            Scope::Unlist => "unlist",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "push" => Ok(Scope::Push),
            "push-version" => Ok(Scope::PushVersion),
            "unlist" => Ok(Scope::Unlist),
            other => Err(format!("unknown scope '{other}'; use push, push-version or unlist")),
        }
    }

    /// Parses a comma-separated list; an empty list is an error (a key that can do nothing).
    pub fn parse_list(s: &str) -> Result<Vec<Self>, String> {
        let mut scopes: Vec<Scope> =
            s.split(',').filter(|p| !p.trim().is_empty()).map(Scope::parse).collect::<Result<_, _>>()?;
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err("an API key needs at least one scope".into());
        }
        Ok(scopes)
    }

    pub fn join(scopes: &[Scope]) -> String {
        scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Id patterns a key is limited to (`Acme.*`); empty = every package.
#[derive(Debug, Clone, Default)]
pub struct PackageGlobs {
    patterns: Vec<String>,
    set: Option<globset::GlobSet>,
}

impl PackageGlobs {
    pub fn parse<S: AsRef<str>>(patterns: &[S]) -> Result<Self, String> {
        let patterns: Vec<String> =
            patterns.iter().map(|p| p.as_ref().trim().to_owned()).filter(|p| !p.is_empty()).collect();
        if patterns.is_empty() {
            return Ok(Self::default());
        }
        let mut builder = globset::GlobSetBuilder::new();
        for p in &patterns {
            if !p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '*')) {
                return Err(format!("'{p}' is not a package id pattern; use letters, digits, '.', '-', '_' and '*'"));
            }
            let glob = globset::GlobBuilder::new(p)
                .case_insensitive(true)
                .literal_separator(false)
                .build()
                .map_err(|e| e.to_string())?;
            builder.add(glob);
        }
        let set = builder.build().map_err(|e| e.to_string())?;
        Ok(Self { patterns, set: Some(set) })
    }

    /// Patterns are stored one per line; `services::keys::authenticate` reads them back with
    /// `parse`, failing closed (an unreadable row must never become a key for every id).
    pub fn to_stored(&self) -> String {
        self.patterns.join("\n")
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    pub fn allows(&self, package_id: &str) -> bool {
        self.set.as_ref().is_none_or(|s| s.is_match(package_id))
    }
}

/// A newly generated key: the secret for the user (shown once) and what is stored.
pub struct GeneratedKey {
    pub secret: String,
    pub visible_prefix: String,
}

pub fn generate() -> GeneratedKey {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{KEY_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
    let visible_prefix = secret.chars().take(VISIBLE_PREFIX_LEN).collect();
    GeneratedKey { secret, visible_prefix }
}

/// The stored form of a key: HMAC-SHA256(server_key, secret).
pub fn hash(server_key: &[u8], secret: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(server_key).expect("HMAC accepts any key length");
    mac.update(secret.trim().as_bytes());
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_long_unique_and_prefixed() {
        let a = generate();
        let b = generate();
        assert!(a.secret.starts_with(KEY_PREFIX));
        assert_eq!(a.secret.len(), KEY_PREFIX.len() + 43);
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.visible_prefix, &a.secret[..VISIBLE_PREFIX_LEN]);
    }

    #[test]
    fn hash_depends_on_server_key() {
        assert_eq!(hash(b"k1", "s"), hash(b"k1", "s"));
        assert_ne!(hash(b"k1", "s"), hash(b"k2", "s"));
        assert_eq!(hash(b"k1", "s").len(), 32);
    }

    #[test]
    fn scopes_parse_and_reject_unknown() {
        assert_eq!(Scope::parse_list("unlist,push").unwrap(), vec![Scope::Push, Scope::Unlist]);
        assert_eq!(
            Scope::parse_list("push,delete").unwrap_err(),
            "unknown scope 'delete'; use push, push-version or unlist"
        );
        assert_eq!(Scope::parse_list("").unwrap_err(), "an API key needs at least one scope");
    }

    #[test]
    fn globs_match_case_insensitively() {
        let g = PackageGlobs::parse(&["Acme.*", "Exact.Id"]).unwrap();
        assert!(g.allows("acme.core"));
        assert!(g.allows("Acme.Core.Extra"));
        assert!(g.allows("EXACT.ID"));
        assert!(!g.allows("Other.Lib"));
        assert!(!g.allows("Acme"));
        assert!(PackageGlobs::parse::<&str>(&[]).unwrap().allows("anything"));
        assert!(PackageGlobs::parse(&["a/b"]).is_err());
        let stored = g.to_stored();
        assert_eq!(PackageGlobs::parse(&stored.lines().collect::<Vec<_>>()).unwrap().patterns(), g.patterns());
    }
}

//! The id+versions this process is pushing right now. A push claims its id+version before it
//! writes a file, so when it finds files no row backs it knows they are left from a crash or a
//! full disk (not a racing push about to commit) and may move them aside.
use std::collections::HashSet;
use std::sync::Mutex;

#[derive(Default)]
pub struct InFlight(Mutex<HashSet<(String, String)>>);

/// Held for the length of one push; dropping it releases the id+version.
pub struct Claim<'a> {
    set: &'a InFlight,
    key: (String, String),
}

impl InFlight {
    /// `None` when another push of the same id+version is under way.
    pub fn claim(&self, id_lower: &str, version_lower: &str) -> Option<Claim<'_>> {
        let key = (id_lower.to_owned(), version_lower.to_owned());
        let inserted = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key.clone());
        // Lazily: a `Claim` built and dropped here would release the other push's claim.
        inserted.then(|| Claim { set: self, key })
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.set.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_claim_per_version_at_a_time() {
        let pushes = InFlight::default();
        let first = pushes.claim("a", "1.0.0").unwrap();
        assert!(pushes.claim("a", "1.0.0").is_none());
        // A refused claim leaves the holder's claim in place.
        assert!(pushes.claim("a", "1.0.0").is_none());
        assert!(pushes.claim("a", "2.0.0").is_some());
        drop(first);
        assert!(pushes.claim("a", "1.0.0").is_some());
    }
}

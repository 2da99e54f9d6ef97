//! Reading a verified ID token's claims by the names `[[oidc]]` gives: the groups, the email
//! address, and a username that fits Galley's rule for usernames.
use serde_json::{Map, Value};

/// The groups claim as a list: a JSON array of strings (Keycloak, Entra ID, oidc-provider), or a
/// single string; anything else counts as no groups.
pub fn groups(claims: &Map<String, Value>, claim: &str) -> Vec<String> {
    match claims.get(claim) {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(ToOwned::to_owned).collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// True when one of `groups` is in `wanted` (compared as the provider sends them, ignoring case).
pub fn in_any(groups: &[String], wanted: &[String]) -> bool {
    groups.iter().any(|g| wanted.iter().any(|w| w.trim().eq_ignore_ascii_case(g.trim())))
}

pub fn string(claims: &Map<String, Value>, claim: &str) -> Option<String> {
    claims.get(claim).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(ToOwned::to_owned)
}

/// A username from a claim's text: the part before an '@' (`jane@corp.example` → `jane`), with
/// every character Galley's usernames do not allow replaced by '-', at most 56 characters so a
/// `-NN` suffix still fits the 64 allowed; `None` when nothing usable is left.
pub fn username_base(text: &str) -> Option<String> {
    let local = text.split('@').next().unwrap_or_default();
    let cleaned: String = local
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '-' })
        .collect();
    let trimmed = cleaned.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    let short: String = trimmed.chars().take(56).collect();
    (!short.is_empty()).then_some(short)
}

/// The names tried in turn for a new account: the base, then `base-2` … `base-20`.
pub fn candidates(base: &str) -> impl Iterator<Item = String> + '_ {
    std::iter::once(base.to_owned()).chain((2..=20).map(move |n| format!("{base}-{n}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn groups_come_from_an_array_or_a_single_string() {
        let claims = json!({"groups": ["ops", 7, "dev"], "role": "admin", "n": 1});
        let claims = claims.as_object().unwrap();
        assert_eq!(groups(claims, "groups"), ["ops", "dev"]);
        assert_eq!(groups(claims, "role"), ["admin"]);
        assert!(groups(claims, "n").is_empty() && groups(claims, "missing").is_empty());
        assert!(in_any(&["Ops".into()], &[" ops ".into()]));
        assert!(!in_any(&["ops".into()], &[]));
    }

    #[test]
    fn usernames_are_made_to_fit_the_rule() {
        assert_eq!(username_base("jane@corp.example").as_deref(), Some("jane"));
        assert_eq!(username_base("Jane Doe").as_deref(), Some("Jane-Doe"));
        assert_eq!(username_base("--ünï").as_deref(), Some("n-"));
        assert_eq!(username_base("@corp.example"), None);
        assert_eq!(username_base("___"), None);
        let long = "a".repeat(100);
        assert_eq!(username_base(&long).unwrap().len(), 56);
        for name in candidates("jane") {
            crate::domain::password::check_username(&name).unwrap();
        }
        assert_eq!(candidates("x").nth(1).as_deref(), Some("x-2"));
        assert_eq!(candidates("x").count(), 20);
    }
}

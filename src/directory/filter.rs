//! Filling the configured search filters: every value put into a filter is escaped per RFC 4515,
//! so a typed name like `*)(uid=*` matches only an entry literally named that.
use ldap3::ldap_escape;

/// `user_filter` with `{username}` replaced by the escaped name.
pub fn user(template: &str, username: &str) -> String {
    template.replace("{username}", &ldap_escape(username))
}

/// `group_filter` with `{dn}` and `{username}` replaced by their escaped values.
pub fn groups(template: &str, dn: &str, username: &str) -> String {
    // Placeholders are replaced in the template's own text only: a value that contains
    // `{username}` or `{dn}` (braces are not escaped) is never scanned again.
    let escaped_dn = ldap_escape(dn);
    let escaped_name = ldap_escape(username);
    template.split("{dn}").map(|part| part.replace("{username}", &escaped_name)).collect::<Vec<_>>().join(&escaped_dn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_per_rfc_4515() {
        assert_eq!(user("(uid={username})", "*)(uid=*"), r"(uid=\2a\29\28uid=\2a)");
        assert_eq!(user("(uid={username})", "a\\b\0"), r"(uid=a\5cb\00)");
        assert_eq!(user("(&(objectClass=person)(uid={username}))", "alice"), "(&(objectClass=person)(uid=alice))");
    }

    #[test]
    fn group_filters_take_the_dn_and_the_name() {
        assert_eq!(
            groups("(|(member={dn})(memberUid={username}))", "uid=a(1),ou=people", "{dn}"),
            r"(|(member=uid=a\281\29,ou=people)(memberUid={dn}))"
        );
    }
}

//! Links that came from a package author: only absolute http(s) URLs with a host, the rule
//! nuget.org applies to `projectUrl`, `iconUrl` and `licenseUrl`. One function, used at push and
//! wherever the portal turns an author's URL into a link. Also the one rule for where a
//! `returnUrl` may send a browser: [`local_path`].

/// The URL, when it is an absolute http or https URL with a host; `None` for `javascript:`,
/// `data:`, `file:`, relative or otherwise unparsable text.
pub fn parse(text: &str) -> Option<url::Url> {
    let url = url::Url::parse(text.trim()).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty())).then_some(url)
}

/// A same-origin path to redirect to after sign-in, normalized the way a browser would read it;
/// `None` for anything that could leave the site. The text must be a plain absolute path (no
/// scheme, no `//host`, no backslash, no control or space characters, which browsers strip or
/// rewrite: `/\t/evil.example` becomes `//evil.example`), and resolving it against a stand-in
/// origin with the WHATWG parser browsers use must stay on that origin.
pub fn local_path(text: &str) -> Option<String> {
    const ORIGIN: &str = "http://galley.invalid";
    let plain = text.starts_with('/')
        && !text.starts_with("//")
        && !text.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace());
    if !plain {
        return None;
    }
    let base = url::Url::parse(ORIGIN).ok()?;
    let resolved = base.join(text).ok()?;
    if resolved.origin() != base.origin() {
        return None;
    }
    Some(resolved.as_str()[ORIGIN.len()..].to_owned())
}

#[cfg(test)]
mod tests {
    use super::{local_path, parse};

    #[test]
    fn return_paths_stay_on_the_site() {
        for (given, expected) in [
            ("/", Some("/")),
            ("/packages/Foo?q=1#top", Some("/packages/Foo?q=1#top")),
            ("/nuget/packages/A/1.0.0", Some("/nuget/packages/A/1.0.0")),
            ("/a/../b", Some("/b")),
            ("/%2F/evil.example", Some("/%2F/evil.example")),
            ("/\t/evil.example", None),
            ("/\n/evil.example", None),
            ("/\r\n/evil.example", None),
            ("/ /evil.example", None),
            ("/\u{3000}/evil.example", None),
            ("//evil.example", None),
            ("///evil.example", None),
            ("/\\evil.example", None),
            ("\\\\evil.example", None),
            ("https://evil.example/", None),
            ("http:/evil.example", None),
            ("javascript:alert(1)", None),
            ("data:text/html,x", None),
            (" /packages", None),
            ("packages", None),
            ("", None),
        ] {
            assert_eq!(local_path(given).as_deref(), expected, "{given:?}");
        }
    }

    #[test]
    fn accepts_only_absolute_http_urls() {
        for good in ["https://example.com", "http://example.com/a?b#c", " HTTPS://Example.com/x "] {
            assert!(parse(good).is_some(), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "vbscript:msgbox",
            "//evil.example/x",
            "/relative",
            "example.com",
            "http://",
            "",
        ] {
            assert!(parse(bad).is_none(), "{bad:?}");
        }
    }
}

//! Links that came from a package author: only absolute http(s) URLs with a host, the rule
//! nuget.org applies to `projectUrl`, `iconUrl` and `licenseUrl`. One function, used at push and
//! wherever the portal turns an author's URL into a link.

/// The URL, when it is an absolute http or https URL with a host; `None` for `javascript:`,
/// `data:`, `file:`, relative or otherwise unparsable text.
pub fn parse(text: &str) -> Option<url::Url> {
    let url = url::Url::parse(text.trim()).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty())).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::parse;

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

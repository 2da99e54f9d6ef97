//! README Markdown → HTML that is safe to put in a page: the package author is not trusted.
//!
//! pulldown-cmark passes raw HTML through, so everything it produces goes through ammonia's
//! allow-list: no script or style, no event handlers, no `javascript:` or `data:` links, links
//! marked `nofollow noopener`, images only from https or embedded as `data:image/…`.
use ammonia::{Builder, UrlRelative};
use pulldown_cmark::{html, Options, Parser};
use std::borrow::Cow;
use std::sync::LazyLock;

static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut b = Builder::default();
    b.link_rel(Some("nofollow noopener"))
        // ammonia drops any other scheme (javascript:, vbscript:, file:…) before the filter runs.
        .url_schemes(["http", "https", "mailto", "data"].into_iter().collect())
        .url_relative(UrlRelative::PassThrough)
        .attribute_filter(filter_attribute);
    b
});

/// Per-attribute rules ammonia's global scheme list cannot express.
fn filter_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    let lower = value.trim().to_ascii_lowercase();
    let keep = match (element, attribute) {
        // http: images would be mixed content; relative ones would resolve against our own site.
        ("img", "src") => lower.starts_with("https://") || lower.starts_with("data:image/"),
        // Relative links would point into the package's repository, which is not here.
        ("a", "href") => ["https://", "http://", "mailto:", "#"].iter().any(|p| lower.starts_with(p)),
        _ => true,
    };
    keep.then_some(Cow::Borrowed(value))
}

pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES;
    let mut unsafe_html = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    SANITIZER.clean(&unsafe_html).to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_becomes_html() {
        let html = render("# Title\n\nSome *text* and `code`.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<em>text</em>") && html.contains("<code>code</code>"), "{html}");
        assert!(html.contains("<table>"), "{html}");
    }

    #[test]
    fn script_handlers_and_bad_urls_are_removed() {
        let html = render(concat!(
            "<script>alert(1)</script>\n\n",
            "<img src=\"https://example.org/a.png\" onerror=\"alert(2)\">\n\n",
            "[click](javascript:alert(3)) [ok](https://example.org/) [vb](VBScript:x)\n\n",
            "![http](http://example.org/b.png) ![rel](images/c.png) ![inline](data:image/png;base64,AAAA)\n\n",
            "<a href=\"data:text/html,<script>x</script>\">d</a> <div style=\"color:red\" onclick=\"x()\">s</div>",
        ));
        for bad in [
            "<script",
            "alert(1)",
            "onerror",
            "javascript:",
            "VBScript",
            "http://example.org/b.png",
            "images/c.png",
            "data:text",
            "style=",
            "onclick",
        ] {
            assert!(!html.contains(bad), "{bad} survived in {html}");
        }
        assert!(html.contains(r#"<img src="https://example.org/a.png">"#), "{html}");
        assert!(html.contains(r#"<a href="https://example.org/" rel="nofollow noopener">ok</a>"#), "{html}");
        assert!(html.contains(r#"<img src="data:image/png;base64,AAAA" alt="inline">"#), "{html}");
    }
}

//! License expressions as links: each SPDX id to its page on spdx.org, operators as text.

pub struct LicensePart {
    pub text: String,
    /// spdx.org page for license and exception ids; `None` for operators, parentheses and
    /// `LicenseRef-…` ids, which have no public page.
    pub url: Option<String>,
}

/// Splits `(MIT OR Apache-2.0) AND GPL-2.0-or-later WITH Classpath-exception-2.0` into parts.
pub fn parts(expression: &str) -> Vec<LicensePart> {
    let spaced = expression.replace('(', " ( ").replace(')', " ) ");
    spaced
        .split_whitespace()
        .map(|token| {
            let is_operator = matches!(token.to_ascii_uppercase().as_str(), "AND" | "OR" | "WITH" | "(" | ")");
            let linkable = !is_operator
                && !token.starts_with("LicenseRef-")
                && token.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+'));
            LicensePart {
                text: token.to_owned(),
                url: linkable.then(|| format!("https://spdx.org/licenses/{token}.html")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parts;

    #[test]
    fn ids_are_linked_and_operators_are_not() {
        let p = parts("(MIT OR Apache-2.0) AND GPL-2.0-or-later WITH Classpath-exception-2.0");
        let texts: Vec<&str> = p.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            texts,
            ["(", "MIT", "OR", "Apache-2.0", ")", "AND", "GPL-2.0-or-later", "WITH", "Classpath-exception-2.0"]
        );
        let links: Vec<&str> = p.iter().filter_map(|p| p.url.as_deref()).collect();
        assert_eq!(
            links,
            [
                "https://spdx.org/licenses/MIT.html",
                "https://spdx.org/licenses/Apache-2.0.html",
                "https://spdx.org/licenses/GPL-2.0-or-later.html",
                "https://spdx.org/licenses/Classpath-exception-2.0.html"
            ]
        );
        assert_eq!(parts("MIT").len(), 1);
        assert!(parts("LicenseRef-Acme").iter().all(|p| p.url.is_none()));
    }
}

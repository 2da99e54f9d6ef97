//! Parses nuget.org's search syntax (`json id:Newtonsoft tags:"a b" packageid:X version:1.0`).

/// Conditions that are not full-text matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    ExactId(String),
    Version(String),
}

/// Result order. The v3 protocol has no sort parameter (always `Relevance`); the portal offers
/// nuget.org's three orders under nuget.org's `sortBy` values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortOrder {
    /// Exact id first, then bm25; by downloads when there is no text to rank.
    #[default]
    Relevance,
    Downloads,
    /// Newest publication of a listed version first ("recently updated").
    Recent,
}

impl SortOrder {
    pub const ALL: [SortOrder; 3] = [SortOrder::Relevance, SortOrder::Downloads, SortOrder::Recent];

    pub fn param(self) -> &'static str {
        match self {
            SortOrder::Relevance => "relevance",
            SortOrder::Downloads => "totalDownloads-desc",
            SortOrder::Recent => "created-desc",
        }
    }

    /// The `sortBy` value, case-insensitive as nuget.org accepts it.
    pub fn from_param(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.param().eq_ignore_ascii_case(s.trim()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedQuery {
    /// (column, term): column `None` searches every column.
    pub terms: Vec<(Option<&'static str>, String)>,
    pub filters: Vec<Filter>,
    /// The whole query lowercased: an id equal to it ranks first.
    pub raw_lower: String,
    pub include_prerelease: bool,
    pub include_semver2: bool,
    pub package_type: Option<String>,
    pub sort: SortOrder,
    pub skip: usize,
    pub take: usize,
}

impl ParsedQuery {
    pub fn parse(q: &str) -> Self {
        let mut terms = Vec::new();
        let mut filters = Vec::new();
        for token in tokenize(q) {
            let (field, value) = match token.split_once(':') {
                Some((f, v)) if !v.is_empty() => (Some(f.to_ascii_lowercase()), v.to_owned()),
                _ => (None, token.clone()),
            };
            let column = match field.as_deref() {
                Some("id") => Some("package_id"),
                Some("packageid") => {
                    filters.push(Filter::ExactId(value));
                    continue;
                }
                Some("version") => {
                    filters.push(Filter::Version(value));
                    continue;
                }
                Some("title") => Some("title"),
                Some("description") => Some("description"),
                Some("summary") => Some("summary"),
                Some("tag" | "tags") => Some("tags"),
                Some("author" | "authors") => Some("authors"),
                Some("owner" | "owners") => Some("owners"),
                // No field, or an unknown one: search the whole token as text, as nuget.org does.
                _ => None,
            };
            let text = if column.is_none() && field.is_some() { token } else { value };
            terms.push((column, text));
        }
        Self {
            terms,
            filters,
            raw_lower: q.trim().to_ascii_lowercase(),
            include_prerelease: false,
            include_semver2: false,
            package_type: None,
            sort: SortOrder::Relevance,
            skip: 0,
            take: 20,
        }
    }

    /// Each term's column and its words (runs of letters, digits and `_`; everything else
    /// separates them), leaving out terms without any: what both engines' full-text queries match,
    /// every word as a prefix. Only these words ever reach a query, so user input is never syntax.
    pub fn term_words(&self) -> Vec<(Option<&'static str>, Vec<&str>)> {
        self.terms
            .iter()
            .map(|(column, text)| {
                (*column, text.split(|c: char| !c.is_alphanumeric() && c != '_').filter(|w| !w.is_empty()).collect())
            })
            .filter(|(_, words): &(_, Vec<&str>)| !words.is_empty())
            .collect()
    }

    /// The FTS5 MATCH expression, or `None` when only filters (or nothing) were given. Every word is
    /// quoted, so user input can never be FTS syntax; the last word of each term matches as a prefix.
    pub fn fts_expression(&self) -> Option<String> {
        let parts: Vec<String> = self
            .term_words()
            .into_iter()
            .map(|(column, words)| {
                let words: Vec<String> = words.iter().map(|w| format!("\"{w}\"*")).collect();
                let phrase = words.join(" AND ");
                match column {
                    Some("package_id") => format!("{{package_id id_parts}} : ({phrase})"),
                    Some(c) => format!("{c} : ({phrase})"),
                    None => format!("({phrase})"),
                }
            })
            .collect();
        if parts.is_empty() {
            None
        } else {
            Some(parts.join(" AND "))
        }
    }
}

/// Splits on whitespace, keeping double-quoted runs (`tags:"a b"`) together without the quotes.
fn tokenize(q: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for ch in q.chars() {
        match ch {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_terms_search_every_column_by_prefix() {
        let q = ParsedQuery::parse("json serial");
        assert_eq!(q.fts_expression().unwrap(), "(\"json\"*) AND (\"serial\"*)");
    }

    #[test]
    fn field_syntax_maps_to_columns_and_filters() {
        let q = ParsedQuery::parse("id:Newtonsoft tags:\"web api\" packageid:Acme.Lib version:1.0.0 owner:alice");
        assert_eq!(
            q.fts_expression().unwrap(),
            "{package_id id_parts} : (\"Newtonsoft\"*) AND tags : (\"web\"* AND \"api\"*) AND owners : (\"alice\"*)"
        );
        assert_eq!(q.filters, vec![Filter::ExactId("Acme.Lib".into()), Filter::Version("1.0.0".into())]);
    }

    #[test]
    fn fts_syntax_in_input_is_neutralised() {
        let q = ParsedQuery::parse("a\" OR NEAR(b) *");
        let expr = q.fts_expression().unwrap();
        assert!(!expr.contains("NEAR("), "{expr}");
    }

    #[test]
    fn sort_orders_round_trip_their_parameter() {
        for order in SortOrder::ALL {
            assert_eq!(SortOrder::from_param(order.param()), Some(order));
        }
        assert_eq!(SortOrder::from_param("TOTALDOWNLOADS-DESC"), Some(SortOrder::Downloads));
        assert_eq!(SortOrder::from_param("bogus"), None);
    }

    #[test]
    fn empty_query_has_no_expression() {
        assert_eq!(ParsedQuery::parse("   ").fts_expression(), None);
    }
}

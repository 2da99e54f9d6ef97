//! The URL grammar of the v2 feed: which resource a path segment names, the OData system query
//! options (`$filter`, `$orderby`, `$skip`, `$top`, `$select`, `$inlinecount`/`$count`),
//! function parameters (`searchTerm='…'`) and the query string of a `next` link.
//! Anything this module does not understand is an error for the client, never ignored.
use super::odata_filter::{self, Expr};
use super::v2_properties::Property;
use std::fmt;

/// Why a request's URL could not be read; the text is the whole sentence for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(pub String);

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<odata_filter::FilterError> for QueryError {
    fn from(e: odata_filter::FilterError) -> Self {
        QueryError(e.0)
    }
}

/// What a path segment under `/api/v2/` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    Metadata,
    Packages,
    /// `Packages(Id='…',Version='…')`, with the literals decoded.
    Package {
        id: String,
        version: String,
    },
    Search,
    FindPackagesById,
    GetUpdates,
}

impl Resource {
    /// `Packages`, `Packages()`, `Search()`… (names compare case-insensitively; the parentheses
    /// of a function or collection are optional, as nuget.org allows).
    pub fn parse(segment: &str) -> Result<Option<Resource>, QueryError> {
        if segment == "$metadata" {
            return Ok(Some(Resource::Metadata));
        }
        let (name, args) = match segment.find('(') {
            Some(open) => (&segment[..open], Some(&segment[open..])),
            None => (segment, None),
        };
        let resource = match name.to_ascii_lowercase().as_str() {
            "packages" => match args {
                None | Some("()") => Resource::Packages,
                Some(args) => parse_key(segment, args)?,
            },
            "search" => Resource::Search,
            "findpackagesbyid" => Resource::FindPackagesById,
            "getupdates" => Resource::GetUpdates,
            _ => return Ok(None),
        };
        if !matches!(resource, Resource::Packages | Resource::Package { .. }) && !matches!(args, None | Some("()")) {
            return Err(QueryError(format!(
                "'{segment}' is not valid: the function takes its parameters in the query string, as in {name}()?…"
            )));
        }
        Ok(Some(resource))
    }
}

/// `(Id='A',Version='1.0')` → the entry key.
fn parse_key(segment: &str, args: &str) -> Result<Resource, QueryError> {
    let bad = || QueryError(format!("The key in '{segment}' is not valid: use Packages(Id='id',Version='version')."));
    let inner = args.strip_prefix('(').and_then(|a| a.strip_suffix(')')).ok_or_else(bad)?;
    let (mut id, mut version) = (None, None);
    let mut rest = inner.trim_start();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=').ok_or_else(bad)?;
        let (value, after) = take_literal(after.trim_start()).ok_or_else(bad)?;
        let slot = match name.trim().to_ascii_lowercase().as_str() {
            "id" => &mut id,
            "version" => &mut version,
            _ => return Err(bad()),
        };
        if slot.replace(value).is_some() {
            return Err(bad());
        }
        rest = after.trim_start();
        if let Some(after_comma) = rest.strip_prefix(',') {
            rest = after_comma.trim_start();
            if rest.is_empty() {
                return Err(bad());
            }
        } else if !rest.is_empty() {
            return Err(bad());
        }
    }
    match (id, version) {
        (Some(id), Some(version)) => Ok(Resource::Package { id, version }),
        _ => Err(bad()),
    }
}

/// A quoted OData string at the start of `s`: its value and the text after it.
fn take_literal(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('\'')?;
    let mut value = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if chars.peek().is_some_and(|(_, next)| *next == '\'') {
                chars.next();
                value.push('\'');
            } else {
                return Some((value, &body[i + 1..]));
            }
        } else {
            value.push(c);
        }
    }
    None
}

/// A string function parameter: `'text'` (with `''` for a quote). An unquoted value is taken as
/// it is, as lenient servers do.
pub fn string_literal(raw: &str) -> Result<String, QueryError> {
    let trimmed = raw.trim();
    if !trimmed.starts_with('\'') {
        return Ok(trimmed.to_owned());
    }
    match take_literal(trimmed) {
        Some((value, "")) => Ok(value),
        _ => Err(QueryError(format!(
            "The value {raw} is not a valid OData string: quote it as 'text', doubling any quote inside."
        ))),
    }
}

/// The value of a non-`$` parameter; names compare case-insensitively.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().rev().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// A boolean function parameter; absent or empty is false.
pub fn bool_param(params: &[(String, String)], name: &str) -> Result<bool, QueryError> {
    match param(params, name).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("" | "false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(QueryError(format!("The '{name}' parameter must be true or false, not '{other}'."))),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderItem {
    pub property: Property,
    pub descending: bool,
}

/// The OData system query options of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryOptions {
    pub filter: Option<Expr>,
    pub orderby: Vec<OrderItem>,
    pub skip: usize,
    pub top: Option<usize>,
    /// `None`: every property.
    pub select: Option<Vec<Property>>,
    /// `$inlinecount=allpages` or `$count=true`: the feed carries `m:count`.
    pub inline_count: bool,
}

impl QueryOptions {
    /// Reads the `$` options among the (decoded) query parameters; other parameters are the
    /// resource's own and are left to it.
    pub fn parse(params: &[(String, String)]) -> Result<Self, QueryError> {
        let mut options = QueryOptions::default();
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in params.iter().filter(|(k, _)| k.starts_with('$')) {
            if seen.contains(&name.as_str()) {
                return Err(QueryError(format!("The query option '{name}' is given more than once.")));
            }
            seen.push(name);
            match name.as_str() {
                "$filter" => options.filter = Some(odata_filter::parse(value)?),
                "$orderby" => options.orderby = parse_orderby(value)?,
                "$skip" => options.skip = number(name, value)?,
                "$top" => options.top = Some(number(name, value)?),
                "$select" => options.select = parse_select(value)?,
                "$inlinecount" => {
                    options.inline_count = match value.as_str() {
                        "allpages" => true,
                        "none" => false,
                        _ => {
                            return Err(QueryError(format!(
                                "The query option '$inlinecount' must be allpages or none, not '{value}'."
                            )))
                        }
                    }
                }
                "$count" => {
                    options.inline_count = match value.to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(QueryError(format!(
                                "The query option '$count' must be true or false, not '{value}'."
                            )))
                        }
                    }
                }
                "$format" => {
                    if !matches!(value.to_ascii_lowercase().as_str(), "atom" | "xml" | "application/atom+xml") {
                        return Err(QueryError(format!(
                            "The query option '$format={value}' is not supported: this feed answers in Atom XML only."
                        )));
                    }
                }
                other => return Err(QueryError(format!("The query option '{other}' is not supported."))),
            }
        }
        Ok(options)
    }
}

fn number(name: &str, value: &str) -> Result<usize, QueryError> {
    value
        .trim()
        .parse()
        .map_err(|_| QueryError(format!("The query option '{name}' must be a non-negative integer, not '{value}'.")))
}

fn property(option: &str, name: &str) -> Result<Property, QueryError> {
    Property::parse(name)
        .ok_or_else(|| QueryError(format!("The property '{name}' in {option} does not exist on V2FeedPackage.")))
}

/// Repeated properties are dropped (only the first can decide an order): SQLite refuses more
/// than 2,000 ORDER BY terms, and `Id,Id,…` must not become a 500.
fn parse_orderby(value: &str) -> Result<Vec<OrderItem>, QueryError> {
    let mut items: Vec<OrderItem> = value
        .split(',')
        .map(|item| {
            let words: Vec<&str> = item.split_whitespace().collect();
            let descending = match words.as_slice() {
                [_] => false,
                [_, dir] if dir.eq_ignore_ascii_case("asc") => false,
                [_, dir] if dir.eq_ignore_ascii_case("desc") => true,
                _ => {
                    return Err(QueryError(format!(
                        "The $orderby item '{}' is not valid: use a property name, optionally followed by asc or desc.",
                        item.trim()
                    )))
                }
            };
            if words[0].contains('(') {
                return Err(QueryError(format!(
                    "The $orderby item '{}' is not supported: order by a property name.",
                    item.trim()
                )));
            }
            Ok(OrderItem { property: property("$orderby", words[0])?, descending })
        })
        .collect::<Result<_, _>>()?;
    let mut seen = Vec::new();
    items.retain(|item| {
        let first = !seen.contains(&item.property);
        seen.push(item.property);
        first
    });
    Ok(items)
}

fn parse_select(value: &str) -> Result<Option<Vec<Property>>, QueryError> {
    let names: Vec<&str> = value.split(',').map(str::trim).collect();
    if names.contains(&"*") {
        return Ok(None);
    }
    names
        .into_iter()
        .map(|name| {
            if name.is_empty() {
                return Err(QueryError("The query option '$select' contains an empty item.".into()));
            }
            property("$select", name)
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The query string of a `next` link: the request's own parameters as they were sent, with
/// `$skip` and `$top` advanced past the entries already returned.
pub fn next_query(raw_query: &str, skip: usize, top: Option<usize>) -> String {
    let mut parts: Vec<String> = raw_query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            // Decoded exactly as the request's parameters were, so any spelling of `$skip`
            // (`%24skip`, `$sk%69p`) is replaced rather than repeated.
            let key = form_urlencoded::parse(pair.as_bytes()).next().map(|(k, _)| k).unwrap_or_default();
            !matches!(key.as_ref(), "$skip" | "$top" | "$skiptoken")
        })
        .map(str::to_owned)
        .collect();
    parts.push(format!("$skip={skip}"));
    if let Some(top) = top {
        parts.push(format!("$top={top}"));
    }
    parts.join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn resources() {
        assert_eq!(Resource::parse("Packages()").unwrap(), Some(Resource::Packages));
        assert_eq!(Resource::parse("Packages").unwrap(), Some(Resource::Packages));
        assert_eq!(Resource::parse("search()").unwrap(), Some(Resource::Search));
        assert_eq!(Resource::parse("$metadata").unwrap(), Some(Resource::Metadata));
        assert_eq!(Resource::parse("Nope()").unwrap(), None);
        assert_eq!(
            Resource::parse("Packages(Id='It''s',Version='1.0')").unwrap(),
            Some(Resource::Package { id: "It's".into(), version: "1.0".into() })
        );
        assert_eq!(
            Resource::parse("Packages( Version = '2.0' , Id = 'A' )").unwrap(),
            Some(Resource::Package { id: "A".into(), version: "2.0".into() })
        );
        let bad = "The key in 'Packages(Id=A)' is not valid: use Packages(Id='id',Version='version').";
        assert_eq!(Resource::parse("Packages(Id=A)").unwrap_err().0, bad);
        for segment in [
            "Packages(Id='A')",
            "Packages('A','1.0')",
            "Packages(Id='A',Version='1.0',)",
            "Packages(Id='A',Version='1.0'",
            "Packages(Id='A',Id='B')",
        ] {
            assert!(Resource::parse(segment).is_err(), "{segment}");
        }
        assert!(Resource::parse("Search('x')").is_err());
    }

    #[test]
    fn system_query_options() {
        let o = QueryOptions::parse(&pairs(&[
            ("$filter", "IsLatestVersion"),
            ("$orderby", "DownloadCount desc,Id"),
            ("$skip", "10"),
            ("$top", "5"),
            ("$select", "Id, Version"),
            ("$inlinecount", "allpages"),
            ("searchTerm", "'x'"),
        ]))
        .unwrap();
        assert_eq!(o.filter, Some(Expr::Member("IsLatestVersion".into())));
        assert_eq!(
            o.orderby,
            vec![
                OrderItem { property: Property::DownloadCount, descending: true },
                OrderItem { property: Property::Id, descending: false }
            ]
        );
        assert_eq!((o.skip, o.top, o.inline_count), (10, Some(5), true));
        assert_eq!(o.select, Some(vec![Property::Id, Property::Version]));
        assert_eq!(QueryOptions::parse(&pairs(&[("$select", "*")])).unwrap().select, None);
        assert!(QueryOptions::parse(&pairs(&[("$count", "true")])).unwrap().inline_count);
    }

    #[test]
    fn unsupported_options_are_errors() {
        let err = |list: &[(&str, &str)]| QueryOptions::parse(&pairs(list)).unwrap_err().0;
        assert_eq!(err(&[("$expand", "x")]), "The query option '$expand' is not supported.");
        assert_eq!(err(&[("$skiptoken", "'a','1'")]), "The query option '$skiptoken' is not supported.");
        assert_eq!(
            err(&[("$format", "json")]),
            "The query option '$format=json' is not supported: this feed answers in Atom XML only."
        );
        assert_eq!(err(&[("$top", "-1")]), "The query option '$top' must be a non-negative integer, not '-1'.");
        assert_eq!(err(&[("$top", "1"), ("$top", "2")]), "The query option '$top' is given more than once.");
        assert_eq!(
            err(&[("$orderby", "Nope desc")]),
            "The property 'Nope' in $orderby does not exist on V2FeedPackage."
        );
        assert_eq!(
            err(&[("$orderby", "Id sideways")]),
            "The $orderby item 'Id sideways' is not valid: use a property name, optionally followed by asc or desc."
        );
        assert_eq!(err(&[("$select", "Id,Bogus")]), "The property 'Bogus' in $select does not exist on V2FeedPackage.");
        assert_eq!(
            err(&[("$inlinecount", "some")]),
            "The query option '$inlinecount' must be allpages or none, not 'some'."
        );
    }

    #[test]
    fn parameters() {
        let p = pairs(&[("searchTerm", "'it''s here'"), ("includePrerelease", "TRUE"), ("id", "NUnit")]);
        assert_eq!(string_literal(param(&p, "searchterm").unwrap()).unwrap(), "it's here");
        assert_eq!(string_literal(param(&p, "id").unwrap()).unwrap(), "NUnit");
        assert!(bool_param(&p, "includePrerelease").unwrap());
        assert!(!bool_param(&p, "includeAllVersions").unwrap());
        assert!(string_literal("'open").is_err());
        assert!(string_literal("'a'b'").is_err());
        let bad = pairs(&[("includePrerelease", "yes")]);
        assert_eq!(
            bool_param(&bad, "includePrerelease").unwrap_err().0,
            "The 'includePrerelease' parameter must be true or false, not 'yes'."
        );
    }

    #[test]
    fn next_links_advance_skip_and_keep_the_rest() {
        assert_eq!(
            next_query("$filter=IsLatestVersion&searchTerm=%27a%27&$skip=0&%24top=30&semVerLevel=2.0.0", 30, Some(10)),
            "$filter=IsLatestVersion&searchTerm=%27a%27&semVerLevel=2.0.0&$skip=30&$top=10"
        );
        assert_eq!(next_query("", 100, None), "$skip=100");
    }

    /// Caught by the odata fuzz target (`fuzz/`): the link kept the encoded `$sk%69p=5`, so the next page
    /// carried `$skip` twice and was refused with 400.
    #[test]
    fn next_links_replace_skip_however_it_was_encoded() {
        assert_eq!(next_query("$sk%69p=5", 25, None), "$skip=25");
        assert_eq!(next_query("%24top=5&%24skiptoken=x&id=%27a%27", 5, Some(1)), "id=%27a%27&$skip=5&$top=1");
    }

    /// Caught by the odata fuzz target (`fuzz/`): 2,100 `Id` items became 2,100 ORDER BY terms, which
    /// SQLite refuses ("too many terms in ORDER BY clause"), a 500.
    #[test]
    fn repeated_orderby_properties_count_once() {
        let o = QueryOptions::parse(&pairs(&[("$orderby", &vec!["Id"; 2_100].join(","))])).unwrap();
        assert_eq!(o.orderby, vec![OrderItem { property: Property::Id, descending: false }]);
        let o = QueryOptions::parse(&pairs(&[("$orderby", "Version desc, Id, version asc")])).unwrap();
        assert_eq!(
            o.orderby,
            vec![
                OrderItem { property: Property::Version, descending: true },
                OrderItem { property: Property::Id, descending: false }
            ]
        );
    }
}

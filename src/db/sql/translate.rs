//! Statements are written once, in the SQL both engines share (SQLite's `?N` placeholders); this
//! turns one into PostgreSQL's form, once per distinct statement text (cached), and refuses the
//! SQLite-only constructs that have no mechanical equivalent, on both engines, so a query that
//! would break on PostgreSQL already fails its SQLite test. The rules:
//!
//! - `?N` → `$N`; a bare `?` takes the next number after the highest so far (SQLite's rule).
//! - `INSERT OR IGNORE INTO …` → `INSERT INTO … ON CONFLICT DO NOTHING` (before `RETURNING`).
//! - `ifnull(` → `coalesce(`, `instr(` → `strpos(`, `group_concat(` → `string_agg(` (same
//!   arguments; `string_agg` needs its separator).
//! - Refused, with what to write instead: `INSERT OR REPLACE` / `REPLACE INTO` (needs a conflict
//!   target: `ON CONFLICT (…) DO UPDATE SET … = excluded.…`), `last_insert_rowid()` (`RETURNING
//!   id`), `IS NOT x` for a value (`IS DISTINCT FROM`), `PRAGMA`, FTS5's `MATCH`, `GLOB`,
//!   `COLLATE NOCASE`, SQLite's date functions (times are RFC 3339 text, compared as text).
//!
//! String literals, quoted identifiers and comments are copied untouched.
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

/// Distinct statement texts are few (each call site has one, or a handful of shapes); past this
/// many something builds statements with values inside, and caching them would only grow memory.
const CACHE_LIMIT: usize = 4096;

type Cache = RwLock<HashMap<String, Result<Arc<str>, String>>>;
static CACHE: LazyLock<Cache> = LazyLock::new(Cache::default);

/// The PostgreSQL text of `sql`, or why it cannot have one.
pub fn to_postgres(sql: &str) -> Result<Arc<str>, String> {
    if let Some(found) = CACHE.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(sql) {
        return found.clone();
    }
    let translated = translate(sql).map(Arc::from);
    let mut cache = CACHE.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    if cache.len() < CACHE_LIMIT {
        cache.insert(sql.to_owned(), translated.clone());
    }
    translated
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A bare word, uppercased: a keyword, a name or a number.
    Word(String),
    /// `?` or `?N` (the number, if any).
    Param(Option<u32>),
    /// Anything else outside literals: punctuation, operators.
    Symbol(char),
}

/// One token with the byte range it covers in the statement.
struct Spanned {
    token: Token,
    start: usize,
    end: usize,
}

/// Splits `sql` into tokens, skipping literals, quoted identifiers and comments.
fn tokens(sql: &str) -> Result<Vec<Spanned>, String> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        match c {
            b'\'' | b'"' | b'`' => {
                // A doubled quote inside is an escaped quote: the scan simply continues.
                i += 1;
                while i < bytes.len() && bytes[i] != c {
                    i += 1;
                }
                if i == bytes.len() {
                    return Err(format!("an unterminated quote in: {sql}"));
                }
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..].find("*/").map_or(bytes.len(), |end| i + 2 + end + 2);
            }
            b'?' => {
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                let number = if i > start + 1 {
                    Some(sql[start + 1..i].parse().map_err(|_| format!("a bad placeholder in: {sql}"))?)
                } else {
                    None
                };
                out.push(Spanned { token: Token::Param(number), start, end: i });
            }
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                out.push(Spanned { token: Token::Word(sql[start..i].to_ascii_uppercase()), start, end: i });
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                let ch = sql[i..].chars().next().unwrap_or(' ');
                i += ch.len_utf8();
                out.push(Spanned { token: Token::Symbol(ch), start, end: i });
            }
        }
    }
    Ok(out)
}

fn word(t: &Spanned) -> Option<&str> {
    match &t.token {
        Token::Word(w) => Some(w),
        _ => None,
    }
}

/// Why `tokens` cannot be translated, if they hold a SQLite-only construct.
fn refusal(tokens: &[Spanned]) -> Option<&'static str> {
    let words: Vec<Option<&str>> = tokens.iter().map(word).collect();
    let next_is_paren = |i: usize| tokens.get(i + 1).is_some_and(|t| t.token == Token::Symbol('('));
    match words.as_slice() {
        [Some("INSERT"), Some("OR"), Some("REPLACE"), ..] | [Some("REPLACE"), Some("INTO"), ..] => {
            return Some(
                "INSERT OR REPLACE needs a conflict target: write ON CONFLICT (…) DO UPDATE SET … = excluded.…",
            )
        }
        [Some("PRAGMA"), ..] => return Some("PRAGMA is SQLite's own: keep it in the SQLite engine's code"),
        _ => {}
    }
    for (i, w) in words.iter().enumerate() {
        match *w {
            Some("LAST_INSERT_ROWID") => return Some("last_insert_rowid() is SQLite's own: write RETURNING id"),
            Some("MATCH") => return Some("MATCH is FTS5's: full-text search has a query per engine"),
            Some("GLOB") => return Some("GLOB is SQLite's own: compare with substr() or LIKE"),
            Some("NOCASE") => return Some("COLLATE NOCASE is SQLite's own: compare lower() of both sides"),
            Some("STRFTIME" | "JULIANDAY" | "DATETIME" | "UNIXEPOCH") if next_is_paren(i) => {
                return Some("SQLite's date functions: times are RFC 3339 text, computed in Rust and compared as text")
            }
            Some("IS")
                if words.get(i + 1) == Some(&Some("NOT"))
                    && !matches!(words.get(i + 2), Some(Some("NULL" | "DISTINCT"))) =>
            {
                return Some("IS NOT with a value is SQLite's own: write IS DISTINCT FROM");
            }
            _ => {}
        }
    }
    None
}

fn translate(sql: &str) -> Result<String, String> {
    let tokens = tokens(sql)?;
    if let Some(why) = refusal(&tokens) {
        return Err(format!("{why}, in: {sql}"));
    }
    let insert_or_ignore = matches!(
        tokens.iter().map(word).take(3).collect::<Vec<_>>().as_slice(),
        [Some("INSERT"), Some("OR"), Some("IGNORE")]
    );
    // Where `ON CONFLICT DO NOTHING` goes: before a RETURNING clause, else at the end.
    let mut conflict_at = if insert_or_ignore {
        let returning = tokens.iter().rposition(|t| word(t) == Some("RETURNING")).map(|i| tokens[i].start);
        Some(returning.unwrap_or_else(|| sql.trim_end().trim_end_matches(';').len()))
    } else {
        None
    };
    let mut out = String::with_capacity(sql.len() + 32);
    let mut copied = 0;
    let mut highest = 0;
    for (i, t) in tokens.iter().enumerate() {
        let replacement = match &t.token {
            Token::Param(n) => {
                let n = n.unwrap_or(highest + 1);
                highest = highest.max(n);
                Some(format!("${n}"))
            }
            // "OR IGNORE" goes away: tokens 1 and 2 of the statement.
            Token::Word(_) if insert_or_ignore && (i == 1 || i == 2) => Some(String::new()),
            Token::Word(w) if tokens.get(i + 1).is_some_and(|n| n.token == Token::Symbol('(')) => match w.as_str() {
                "IFNULL" => Some("coalesce".to_owned()),
                "INSTR" => Some("strpos".to_owned()),
                "GROUP_CONCAT" => Some("string_agg".to_owned()),
                _ => None,
            },
            _ => None,
        };
        if let Some(at) = conflict_at.take_if(|at| *at <= t.start) {
            out.push_str(&sql[copied..at]);
            out.push_str(" ON CONFLICT DO NOTHING ");
            copied = at;
        }
        if let Some(text) = replacement {
            out.push_str(&sql[copied..t.start]);
            out.push_str(&text);
            copied = t.end;
        }
    }
    if let Some(at) = conflict_at {
        out.push_str(&sql[copied..at]);
        out.push_str(" ON CONFLICT DO NOTHING");
        copied = at;
    }
    out.push_str(&sql[copied..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::to_postgres;

    fn pg(sql: &str) -> String {
        to_postgres(sql).unwrap().to_string()
    }

    #[test]
    fn numbers_placeholders_like_sqlite() {
        assert_eq!(
            pg("SELECT a FROM t WHERE b = ?1 AND c = ?2 OR d = ?1"),
            "SELECT a FROM t WHERE b = $1 AND c = $2 OR d = $1"
        );
        assert_eq!(pg("UPDATE t SET a = ?, b = ? WHERE id = ?"), "UPDATE t SET a = $1, b = $2 WHERE id = $3");
        assert_eq!(pg("SELECT ?3, ?"), "SELECT $3, $4");
    }

    #[test]
    fn leaves_literals_identifiers_and_comments_alone() {
        assert_eq!(
            pg("SELECT '?1 it''s', \"a?\" -- why?\n FROM t /* ? */ WHERE x = ?1"),
            "SELECT '?1 it''s', \"a?\" -- why?\n FROM t /* ? */ WHERE x = $1"
        );
    }

    #[test]
    fn insert_or_ignore_becomes_on_conflict_do_nothing() {
        assert_eq!(
            pg("INSERT OR IGNORE INTO t (a) VALUES (?1)"),
            "INSERT   INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            pg("insert or ignore into t (a) values (?1) returning id;"),
            "insert   into t (a) values ($1)  ON CONFLICT DO NOTHING returning id;"
        );
    }

    #[test]
    fn renames_the_functions_postgres_spells_otherwise() {
        assert_eq!(
            pg("SELECT ifnull(a, 0), instr(b, ?1), group_concat(c, ',') FROM t"),
            "SELECT coalesce(a, 0), strpos(b, $1), string_agg(c, ',') FROM t"
        );
        // A column that happens to share a name is not a call.
        assert_eq!(pg("SELECT ifnull FROM t"), "SELECT ifnull FROM t");
    }

    #[test]
    fn refuses_what_has_no_mechanical_equivalent() {
        for (sql, why) in [
            ("INSERT OR REPLACE INTO t (a) VALUES (?1)", "INSERT OR REPLACE needs a conflict target"),
            ("SELECT last_insert_rowid()", "last_insert_rowid() is SQLite's own: write RETURNING id"),
            ("DELETE FROM s WHERE id IS NOT ?2", "IS NOT with a value is SQLite's own: write IS DISTINCT FROM"),
            ("SELECT rowid FROM package_search WHERE package_search MATCH ?1", "MATCH is FTS5's"),
            ("PRAGMA user_version", "PRAGMA is SQLite's own"),
            ("SELECT a FROM t WHERE at < datetime('now')", "SQLite's date functions"),
        ] {
            let err = to_postgres(sql).unwrap_err();
            assert!(err.starts_with(why) && err.ends_with(sql), "{err}");
        }
        assert_eq!(
            pg("SELECT a FROM t WHERE b IS NOT NULL AND c IS NOT DISTINCT FROM ?1"),
            "SELECT a FROM t WHERE b IS NOT NULL AND c IS NOT DISTINCT FROM $1"
        );
    }
}

//! The v2 `Search()` full-text join, the one statement of the feed written per engine: FTS5 with
//! bm25 on SQLite, `package_search.document @@ tsquery` ranked by `ts_rank_cd` on PostgreSQL. Both
//! yield `s.pk` (the package key) and `s.rank`, ascending best first, so the rest of the listing
//! (`condition.rs`: exact id first, then rank) is shared.
use super::super::sql::Engine;
use super::super::DbError;
use super::condition::Builder;

/// The join for the search expression `fts` (built by `ParsedQuery::fts_expression`), its
/// argument bound in `sql`.
pub(super) fn join(sql: &mut Builder, fts: &str) -> Result<String, DbError> {
    Ok(match sql.engine {
        // FTS5's table-valued form, `package_search(?N)`, is its MATCH: the SQL layer refuses the
        // MATCH keyword on both engines so that it never slips into shared SQL.
        Engine::Sqlite => format!(
            " JOIN (SELECT rowid AS pk, bm25(package_search, 10.0, 8.0, 5.0, 2.0, 1.0, 3.0, 2.0, 2.0) AS rank
                    FROM package_search({})) s ON s.pk = p.id",
            sql.arg(fts)
        ),
        // ts_rank_cd is larger for better matches: negated, so both engines sort ascending.
        Engine::Postgres => format!(
            " JOIN (SELECT rowid AS pk, -ts_rank_cd(document, q) AS rank
                    FROM package_search, to_tsquery('simple', CAST({} AS TEXT)) q WHERE document @@ q) s ON s.pk = p.id",
            sql.arg(tsquery(fts)?)
        ),
    })
}

/// PostgreSQL's tsquery for an FTS5 expression of `ParsedQuery::fts_expression`, sent as a bound
/// parameter (never SQL text). Every word stays a prefix match; a column filter becomes the
/// weight its columns have in `package_search.document` (`migrations/postgres/0001_init.sql`): the
/// id (A), title and tags (B), the rest (C), so `title:` also matches tags there.
///
/// Only that grammar is accepted (`{cols} : ("w"* AND …) AND ("w"*) …`, words of letters, digits
/// and `_`); anything else is an error, not a guess. The v3 search (`db/search.rs`) builds a
/// tsquery of its own from the same `ParsedQuery`: the two are to become one function there.
pub(super) fn tsquery(fts: &str) -> Result<String, DbError> {
    let refuse = || DbError::NotPortable(format!("not a v2 search expression: {fts}"));
    let mut lexemes = Vec::new();
    let mut weight = "";
    let mut rest = fts.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('"') {
            let (word, tail) = after.split_once("\"*").ok_or_else(refuse)?;
            if word.is_empty() || !word.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return Err(refuse());
            }
            lexemes.push(format!("'{word}':*{weight}"));
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix("AND ") {
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix('(') {
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix(')') {
            weight = "";
            rest = tail;
        } else {
            let (columns, tail) = rest.split_once(" : (").ok_or_else(refuse)?;
            weight = match columns {
                "{package_id id_parts}" => "A",
                "title" | "tags" => "B",
                "summary" | "description" | "authors" | "owners" => "C",
                _ => return Err(refuse()),
            };
            rest = tail;
        }
        rest = rest.trim_start();
    }
    if lexemes.is_empty() {
        return Err(refuse());
    }
    Ok(lexemes.join(" & "))
}

#[cfg(test)]
mod tests {
    use super::tsquery;
    use crate::search::query::ParsedQuery;

    fn of(q: &str) -> String {
        tsquery(&ParsedQuery::parse(q).fts_expression().unwrap()).unwrap()
    }

    #[test]
    fn words_stay_prefixes_and_columns_become_weights() {
        assert_eq!(of("json serial"), "'json':* & 'serial':*");
        assert_eq!(
            of("id:Newtonsoft tags:\"web api\" owner:alice Json.Net"),
            "'Newtonsoft':*A & 'web':*B & 'api':*B & 'alice':*C & 'Json':* & 'Net':*"
        );
        assert_eq!(of("description:café_au_lait"), "'café_au_lait':*C");
    }

    #[test]
    fn tsquery_syntax_in_the_input_stays_out() {
        // The expression's own quoting already drops it; the checks here refuse what slips by.
        assert_eq!(of("a' | !b:* <-> c&d"), "'a':* & 'b':* & 'c':* & 'd':*");
        for bad in ["\"a'b\"*", "(\"a\"*) OR (\"b\"*)", "secret : (\"a\"*)", "", "\"a\"", "NEAR(\"a\"*)"] {
            assert!(tsquery(bad).is_err(), "{bad}");
        }
    }
}

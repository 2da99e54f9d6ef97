//! The search query over the index, and id autocomplete. Everything but the full-text match is
//! shared SQL; the match and its rank are the one statement part written per engine (`Engine`):
//! FTS5's `MATCH` ranked by bm25 on SQLite, `document @@ tsquery` ranked by `ts_rank` on
//! PostgreSQL, both from the words `ParsedQuery::term_words` gives, passed as parameters.
use super::{in_public_lists, visibility};
use crate::db::sql::{Engine, Sql, Value};
use crate::db::DbError;
use crate::search::query::{Filter, ParsedQuery, SortOrder};
use crate::values;

/// The full-text part of a query on one engine: the tables to read, its conditions and its rank
/// (an `ORDER BY` term, best first).
struct TextMatch {
    from: String,
    conditions: Vec<String>,
    rank: String,
}

/// SQLite: the FTS5 expression through the table-valued form of the index (`package_search(?N)`,
/// FTS5's spelling of `MATCH` for a statement that only SQLite runs), ranked by bm25 with the id
/// columns weighted highest (the weights follow the table's columns: `package_id`, `id_parts`,
/// `title`, `summary`, `description`, `tags`, `authors`, `owners`).
fn fts5_match(expression: String, args: &mut Vec<Value>) -> TextMatch {
    args.push(expression.into());
    TextMatch {
        from: format!("package_search(?{}) s JOIN packages p ON p.id = s.rowid", args.len()),
        conditions: Vec::new(),
        rank: "bm25(package_search, 10.0, 8.0, 5.0, 2.0, 1.0, 3.0, 2.0, 2.0)".to_owned(),
    }
}

/// Which weight of `package_search.document` (`migrations/postgres/0001_init.sql`) holds a column's
/// words, and whether other columns share that weight (then a term given that column is also
/// checked against the column alone, so `tags:x` does not match a title).
fn weight_of(column: &str) -> (char, bool) {
    match column {
        "package_id" => ('A', false),
        "title" | "tags" => ('B', true),
        "description" => ('D', false),
        _ => ('C', true),
    }
}

/// `word` as a tsquery operand matching it as a prefix, in `weight` if given. The words hold only
/// letters, digits and `_` (`term_words`); quoting them anyway keeps any other character a
/// literal. The text travels as a parameter of `to_tsquery`, never inside the statement.
fn tsquery_operand(word: &str, weight: Option<char>) -> String {
    let quoted = word.replace('\\', "\\\\").replace('\'', "''");
    format!("'{quoted}':*{}", weight.map(String::from).unwrap_or_default())
}

/// PostgreSQL: every word of every term joined by AND into one tsquery on the indexed document (a term
/// given a column is restricted to that column's weight), ranked by `ts_rank`, whose default
/// weights (A 1.0, B 0.4, C 0.2, D 0.1) rank id words highest as bm25's do on SQLite.
fn tsquery_match(q: &ParsedQuery, args: &mut Vec<Value>) -> Option<TextMatch> {
    let terms = q.term_words();
    if terms.is_empty() {
        return None;
    }
    let mut operands = Vec::new();
    let mut conditions = Vec::new();
    let mut column_checks = Vec::new();
    for (column, words) in &terms {
        let weight = column.map(weight_of);
        operands.extend(words.iter().map(|w| tsquery_operand(w, weight.map(|(letter, _)| letter))));
        if let (Some(column), Some((_, true))) = (column, weight) {
            let words: Vec<String> = words.iter().map(|w| tsquery_operand(w, None)).collect();
            column_checks.push((*column, words.join(" & ")));
        }
    }
    args.push(operands.join(" & ").into());
    let query = format!("to_tsquery('simple', ?{})", args.len());
    conditions.push(format!("s.document @@ {query}"));
    for (column, words) in column_checks {
        args.push(words.into());
        conditions
            .push(format!("to_tsvector('simple', coalesce(s.{column}, '')) @@ to_tsquery('simple', ?{})", args.len()));
    }
    Some(TextMatch {
        from: "package_search s JOIN packages p ON p.id = s.rowid".to_owned(),
        conditions,
        rank: format!("ts_rank(s.document, {query}) DESC"),
    })
}

/// Ids (lowercase) matching the query, best first, and the total number of matches.
pub fn search(db: &dyn Sql, q: &ParsedQuery) -> Result<(usize, Vec<String>), DbError> {
    let mut args: Vec<Value> = Vec::new();
    let mut conditions =
        vec![format!("p.search_visibility & {} != 0", visibility::required(q.include_prerelease, q.include_semver2))];
    if let Some(t) = &q.package_type {
        args.push(format!("%\"name\":\"{}\"%", t.to_ascii_lowercase()).into());
        let n = args.len();
        let types = if t.eq_ignore_ascii_case("dependency") {
            format!("(v.package_types = '[]' OR lower(v.package_types) LIKE ?{n})")
        } else {
            format!("lower(v.package_types) LIKE ?{n}")
        };
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM package_versions v WHERE v.package_key = p.id AND {} AND {types})",
            in_public_lists("v")
        ));
    }
    let text = match db.engine() {
        Engine::Sqlite => q.fts_expression().map(|expression| fts5_match(expression, &mut args)),
        Engine::Postgres => tsquery_match(q, &mut args),
    };
    for filter in &q.filters {
        match filter {
            Filter::ExactId(id) => {
                args.push(id.to_ascii_lowercase().into());
                conditions.push(format!("p.id_lower = ?{}", args.len()));
            }
            Filter::Version(version) => {
                args.push(version.to_ascii_lowercase().into());
                conditions.push(format!(
                    "EXISTS (SELECT 1 FROM package_versions v2 WHERE v2.package_key = p.id AND v2.version_lower = ?{} AND {})",
                    args.len(),
                    in_public_lists("v2")
                ));
            }
        }
    }
    // Without words to match, the visibility bits in `packages` decide alone (an id with no listed
    // version has none set), so the browse listing never touches the text index.
    let from = text.as_ref().map_or("packages p", |t| t.from.as_str());
    conditions.extend(text.iter().flat_map(|t| t.conditions.iter().cloned()));
    let where_clause = conditions.join(" AND ");
    // The count uses exactly the arguments of the WHERE clause; ordering and paging come after.
    let count_args = args.len();
    let order = match (q.sort, &text) {
        (SortOrder::Relevance, Some(text)) => {
            args.push(q.raw_lower.clone().into());
            // An exact id match always comes first; then the engine's rank, then downloads.
            format!("(p.id_lower = ?{}) DESC, {}, p.total_downloads DESC, p.id_lower", args.len(), text.rank)
        }
        (SortOrder::Relevance | SortOrder::Downloads, _) => "p.total_downloads DESC, p.id_lower".to_owned(),
        // A subquery per match rather than a stored column: it reads the few version rows of one
        // id through the (package_key, version_lower) index and needs no schema change.
        (SortOrder::Recent, _) => format!(
            "(SELECT max(v.published_at) FROM package_versions v WHERE v.package_key = p.id AND {}) DESC, p.id_lower",
            in_public_lists("v")
        ),
    };
    let count_sql = format!("SELECT count(*) FROM {from} WHERE {where_clause}");
    let total: i64 = db.query_row(&count_sql, &args[..count_args], |r| r.get(0))?;
    args.push(i64::try_from(q.take).unwrap_or(i64::MAX).into());
    let take_arg = args.len();
    args.push(i64::try_from(q.skip).unwrap_or(i64::MAX).into());
    let skip_arg = args.len();
    let sql = format!(
        "SELECT p.id_lower FROM {from} WHERE {where_clause} ORDER BY {order} LIMIT ?{take_arg} OFFSET ?{skip_arg}"
    );
    let ids = db.query_map(&sql, &args, |r| r.get(0))?;
    Ok((usize::try_from(total).unwrap_or(0), ids))
}

/// Ids starting with `prefix` (case-insensitive) that have a version visible under the flags.
pub fn autocomplete_ids(
    db: &dyn Sql,
    prefix: &str,
    skip: usize,
    take: usize,
    prerelease: bool,
    semver2: bool,
) -> Result<(usize, Vec<String>), DbError> {
    let visible = format!("search_visibility & {} != 0", visibility::required(prerelease, semver2));
    // A range on the unique index instead of LIKE (which cannot use it): '~' sorts after every
    // character an id may contain (in bytes: `id_lower` has the "C" collation on PostgreSQL).
    let low = prefix.to_ascii_lowercase();
    let high = format!("{low}~");
    let total: i64 = db.query_row(
        &format!("SELECT count(*) FROM packages WHERE id_lower >= ?1 AND id_lower < ?2 AND {visible}"),
        values![&low, &high],
        |r| r.get(0),
    )?;
    let sql = format!(
        "SELECT package_id FROM packages
         WHERE id_lower >= ?1 AND id_lower < ?2 AND {visible}
         ORDER BY total_downloads DESC, id_lower LIMIT ?3 OFFSET ?4"
    );
    let ids = db.query_map(
        &sql,
        values![low, high, i64::try_from(take).unwrap_or(i64::MAX), i64::try_from(skip).unwrap_or(i64::MAX)],
        |r| r.get(0),
    )?;
    Ok((usize::try_from(total).unwrap_or(0), ids))
}

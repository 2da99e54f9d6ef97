//! The search query parser (`q=` of v3 search and the portal, `searchTerm` of v2 `Search()`): any
//! text must become a query SQLite runs, with user input never read as FTS5 syntax; and the
//! in-memory index (what v3 search and the portal answer from) must find what the FTS5 query finds.
//!
//! Input: one byte of options (prerelease, SemVer 2.0, sort order, package type present), then
//! the query; with a package type, the text after the first newline is the `packageType`.
#![no_main]

#[path = "db.rs"]
mod db;

use galley::db::search::visibility;
use galley::search::index::SearchIndex;
use galley::search::query::{ParsedQuery, SortOrder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&options, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (q, package_type) = match text.split_once('\n') {
        Some((q, t)) if options & 0x10 != 0 => (q, Some(t.to_owned())),
        _ => (text, None),
    };
    let mut query = ParsedQuery::parse(q);
    for (_, term) in &query.terms {
        assert!(!term.is_empty(), "{q:?}");
    }
    let fts = query.fts_expression();
    if let Some(expr) = &fts {
        // Every word is one quoted string: an even number of quotes, nothing between the words
        // but the operators and column filters this code writes.
        assert!(expr.matches('"').count() % 2 == 0, "{expr}");
        // FTS5 must accept the expression on its own, whatever the rest of the query does.
        db::with(|conn| {
            conn.query_row("SELECT count(*) FROM package_search WHERE package_search MATCH ?1", [expr], |r| {
                r.get::<_, i64>(0)
            })
        })
        .unwrap_or_else(|e| panic!("FTS5 refused {expr:?} (from {q:?}): {e}"));
    }

    query.include_prerelease = options & 1 != 0;
    query.include_semver2 = options & 2 != 0;
    query.sort = SortOrder::ALL[usize::from((options >> 2) & 3) % SortOrder::ALL.len()];
    query.package_type = package_type;
    // The whole search, as the v3 search and portal run it: any refusal would be a 500.
    let (total, _) = db::with(|conn| galley::db::search::search(conn, &query)).unwrap_or_else(|e| panic!("{q:?}: {e}"));
    if SearchIndex::answers(&query) {
        let visible = visibility::required(query.include_prerelease, query.include_semver2);
        let (in_memory, ids) = INDEX.with(|index| index.search(&query, visible));
        // FTS5's tokenizer folds diacritics and knows Unicode by its own tables: outside ASCII
        // the two may split or fold a word differently, so only ASCII queries must agree exactly.
        if q.is_ascii() {
            assert_eq!(in_memory, total, "{q:?}: the in-memory index and FTS5 disagree");
        }
        assert!(ids.len() <= in_memory);
    }
});

thread_local! {
    /// The in-memory index of the fuzz database's packages.
    static INDEX: SearchIndex = SearchIndex::build(db::with(index_docs));
}

fn index_docs(conn: &rusqlite::Connection) -> Vec<galley::search::index::IndexDoc> {
    galley::db::search::index_docs(conn).expect("the index rows load").1
}

//! The relevance test set: a fixed corpus (a few well-known package shapes among generated
//! filler) and, for each query, the results a user expects on top. A ranking change that breaks
//! one of these must say why the new order is better.
use super::index::{IndexDoc, SearchIndex};
use super::query::{ParsedQuery, SortOrder};

/// Visibility bits of a package with a stable SemVer 1.0 version (visible to every view).
const ALL_VIEWS: i64 = 0b1111;
/// Only a SemVer 1.0 prerelease: visible when prerelease is asked for.
const PRERELEASE_ONLY: i64 = 0b1010;
const STABLE: i64 = 1;

fn doc(key: i64, id: &str, description: &str, tags: &str, owners: &str, downloads: i64) -> IndexDoc {
    IndexDoc {
        key,
        id_lower: id.to_ascii_lowercase(),
        visibility: ALL_VIEWS,
        downloads,
        columns: [
            id.to_owned(),
            crate::search::index::id_words(id),
            String::new(),
            String::new(),
            description.to_owned(),
            tags.to_owned(),
            format!("{owners} team"),
            owners.to_owned(),
        ],
    }
}

fn corpus() -> SearchIndex {
    let mut docs = vec![
        doc(
            1,
            "Newtonsoft.Json",
            "Json.NET is a popular high-performance JSON framework for .NET",
            "json serialization",
            "jamesnk",
            1_000_000,
        ),
        doc(2, "System.Text.Json", "High-performance JSON APIs for reading and writing", "json", "dotnet", 500_000),
        doc(3, "JsonPath", "Query JSON documents with path expressions", "json query", "bob", 1_000),
        doc(4, "Json", "A tiny reader", "parser", "bob", 10),
        doc(5, "Acme.Logging", "Structured logging for Acme applications", "logging", "alice", 5_000),
        doc(6, "Serilog", "Simple .NET logging with fully-structured events", "logging serilog", "serilog", 800_000),
        doc(7, "Serilog.Sinks.File", "Write Serilog events to text files", "serilog file sink", "serilog", 400_000),
        doc(8, "NLog", "NLog is a flexible logging platform", "logging log", "nlog", 300_000),
        doc(
            9,
            "Polly",
            "Resilience and transient-fault-handling: retry, circuit breaker, timeout",
            "retry resilience",
            "app-vnext",
            200_000,
        ),
        doc(10, "Dapper", "A high performance Micro-ORM for SQL", "orm sql", "stackexchange", 150_000),
        doc(11, "Acme.HttpClient.Extras", "Extensions for HttpClient", "http", "alice", 100),
        doc(12, "Http.Client.Tools", "Tools for an HTTP client", "http client", "carol", 50),
        doc(13, "Moq", "The friendly mocking library for .NET", "mocking tdd", "kzu", 250_000),
        doc(14, "xunit", "xUnit.net is a developer testing framework for unit testing", "test unit", "xunit", 400_000),
        doc(15, "xunit.runner.visualstudio", "Visual Studio runner for xUnit.net", "test runner", "xunit", 300_000),
        doc(16, "Acme.Retry", "Retry helpers", "retry", "alice", 20),
    ];
    let mut preview =
        doc(17, "Contoso.Preview", "A logging preview that is only prerelease", "logging", "carol", 900_000);
    preview.visibility = PRERELEASE_ONLY;
    docs.push(preview);
    // Filler: words from a small vocabulary, so the words above have realistic document
    // frequencies (common ones score low, rare ones high).
    let words =
        ["data", "core", "cloud", "azure", "storage", "async", "stream", "cache", "graph", "xml", "yaml", "csv"];
    for n in 0..200_i64 {
        let pick = |k: i64| words[usize::try_from((n * 7 + k * 13) % 12).unwrap_or(0)];
        let id = format!("Filler.{}{}.P{n}", pick(1), pick(2));
        let description = format!("{} {} {} {} library", pick(3), pick(4), pick(5), pick(6));
        docs.push(doc(100 + n, &id, &description, pick(7), "filler", n));
    }
    SearchIndex::build(docs)
}

fn top(index: &SearchIndex, q: &str, prerelease: bool, n: usize) -> (usize, Vec<String>) {
    let mut query = ParsedQuery::parse(q);
    query.take = n;
    query.include_prerelease = prerelease;
    let required = if prerelease { 0b0010 } else { STABLE };
    index.search(&query, required)
}

#[test]
fn the_expected_packages_come_first() {
    let index = corpus();
    let cases: &[(&str, &[&str])] = &[
        // The exact id first, whatever its downloads; then ids it starts; then by relevance (the
        // shorter text all about JSON before the longer one that also is).
        ("json", &["json", "jsonpath", "system.text.json", "newtonsoft.json"]),
        ("Newtonsoft.Json", &["newtonsoft.json"]),
        ("serilog", &["serilog", "serilog.sinks.file"]),
        // The word in the id outranks the word in a description.
        ("logging", &["acme.logging"]),
        ("http client", &["http.client.tools", "acme.httpclient.extras"]),
        ("id:xunit", &["xunit", "xunit.runner.visualstudio"]),
        ("packageid:Moq library", &["moq"]),
        ("tags:retry", &["acme.retry", "polly"]),
        ("orm", &["dapper"]),
        ("unit testing", &["xunit"]),
        // A prefix of a word matches it.
        ("mock", &["moq"]),
        ("sinks", &["serilog.sinks.file"]),
        ("serilog file", &["serilog.sinks.file"]),
        ("circuit breaker", &["polly"]),
        ("owner:alice http", &["acme.httpclient.extras"]),
    ];
    for (q, expected) in cases {
        let (_, ids) = top(&index, q, false, expected.len());
        assert_eq!(&ids, expected, "query {q:?}");
    }
}

#[test]
fn totals_count_every_visible_match() {
    let index = corpus();
    assert_eq!(top(&index, "packageid:Moq library", false, 20).0, 1);
    assert_eq!(top(&index, "nothing-matches-this", false, 20), (0, vec![]));
    assert_eq!(top(&index, "owner:alice", false, 20).0, 3);
    // The prerelease-only package is found only when prerelease is asked for.
    let (stable_total, stable) = top(&index, "logging", false, 20);
    assert!(!stable.contains(&"contoso.preview".to_owned()));
    let (all_total, _) = top(&index, "logging", true, 20);
    assert_eq!(all_total, stable_total + 1);
}

#[test]
fn pages_follow_one_order() {
    let index = corpus();
    let (total, all) = top(&index, "data", false, 1000);
    assert!(total > 40, "{total}");
    assert_eq!(all.len(), total);
    let mut page = ParsedQuery::parse("data");
    page.skip = 10;
    page.take = 15;
    assert_eq!(index.search(&page, STABLE).1, all[10..25]);
    page.skip = total;
    assert_eq!(index.search(&page, STABLE), (total, vec![]));
}

#[test]
fn downloads_order_ignores_relevance() {
    let index = corpus();
    let mut q = ParsedQuery::parse("json");
    q.sort = SortOrder::Downloads;
    q.take = 3;
    assert_eq!(index.search(&q, STABLE).1, ["newtonsoft.json", "system.text.json", "jsonpath"]);
}

#[test]
fn changes_replace_and_remove_documents() {
    let mut index = corpus();
    index.upsert(doc(13, "Moq", "A library for fakes", "fakes", "kzu", 250_000));
    assert_eq!(top(&index, "mocking", false, 5).0, 0);
    assert_eq!(top(&index, "fakes", false, 5).1, ["moq"]);
    // Equal relevance (filler texts have the same lengths): the most downloaded first. Only the
    // downloads moved: the text stays indexed, the order follows the new count.
    assert_eq!(top(&index, "owner:filler", false, 1).1, ["filler.cloudazure.p199"]);
    index.upsert(doc(100, "Filler.corecloud.P0", "azure storage async stream library", "cache", "filler", 5_000_000));
    assert_eq!(top(&index, "owner:filler", false, 1).1, ["filler.corecloud.p0"]);
    index.remove(6);
    assert_eq!(top(&index, "serilog", false, 5).1, ["serilog.sinks.file"]);
    // Enough removals to purge dead postings; what is left still answers the same.
    let before = top(&index, "cloud", false, 1000);
    for key in 100..150 {
        index.remove(key);
    }
    let after = top(&index, "cloud", false, 1000);
    assert!(after.0 < before.0);
    assert!(after.1.iter().all(|id| before.1.contains(id)));
    index.upsert(doc(6, "Serilog", "Back again", "logging", "serilog", 1));
    assert_eq!(top(&index, "serilog", false, 5).1, ["serilog", "serilog.sinks.file"]);
    assert_eq!(index.len(), 217 - 50);
}

/// Queries reuse one index's scratch counters: an answer must not depend on the queries before it
/// (a counter left over from an earlier query would add to a score or count a word as matched).
#[test]
fn answers_do_not_depend_on_earlier_queries() {
    let queries = ["json", "logging serilog", "http client", "acme", "tags:json", "json query", "nothing.matches"];
    let fresh: Vec<_> = queries.iter().map(|q| top(&corpus(), q, true, 20)).collect();
    let shared = corpus();
    for round in 0..3 {
        for (q, expected) in queries.iter().zip(&fresh).cycle().skip(round).take(queries.len()) {
            assert_eq!(&top(&shared, q, true, 20), expected, "{q} after other queries");
        }
    }
}

/// A package added after a query has a slot past the kept scratch: the next query must cover it.
#[test]
fn a_package_added_after_a_query_is_found() {
    let mut index = corpus();
    let before = top(&index, "zzyzx", true, 20);
    assert_eq!(before, (0, Vec::new()));
    index.upsert(doc(1000, "Zzyzx.Road", "A package added late", "zzyzx", "dora", 1));
    assert_eq!(top(&index, "zzyzx", true, 20), (1, vec!["zzyzx.road".to_owned()]));
}

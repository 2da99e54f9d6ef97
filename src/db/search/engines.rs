//! The search index and its query on both engines: the same packages, the same questions, the
//! same answers from FTS5 on SQLite and from the `tsvector` on PostgreSQL.
use super::*;
use crate::db::package_fixtures::{push, user};
use crate::db::packages::{record_change, set_listed};
use crate::db::sql::testing::{on_both_engines, TestDb};
use crate::domain::version_status::VersionStatus;
use crate::search::query::{ParsedQuery, SortOrder};

/// Pushes `id` `version` as `status` with this description (and `extra` metadata), then records
/// the change as every service does, which reindexes the id; its package key.
fn publish(db: &mut TestDb, owner: i64, id: &str, version: &str, description: &str, extra: &str) -> i64 {
    publish_as(db, owner, id, version, description, extra, VersionStatus::Available)
}

fn publish_as(
    db: &mut TestDb,
    owner: i64,
    id: &str,
    version: &str,
    description: &str,
    extra: &str,
    status: VersionStatus,
) -> i64 {
    db.tx(|tx| {
        let (key, version_key) = push(tx, id, version, extra, status, owner)?;
        tx.execute("UPDATE package_versions SET description = ?2 WHERE id = ?1", values![version_key, description])?;
        record_change(tx, key)?;
        Ok(key)
    })
    .unwrap()
}

fn downloads(db: &mut TestDb, id_lower: &str, count: u64) {
    db.tx(|tx| crate::db::packages::add_downloads(tx, id_lower, "1.0.0", count)).unwrap();
}

/// The ids a query finds, best first, with the total.
fn find(db: &mut TestDb, q: &str) -> (usize, Vec<String>) {
    find_with(db, &ParsedQuery::parse(q))
}

fn find_with(db: &mut TestDb, q: &ParsedQuery) -> (usize, Vec<String>) {
    db.tx(|tx| search(tx, q)).unwrap()
}

fn ids(db: &mut TestDb, q: &str) -> Vec<String> {
    find(db, q).1
}

/// The packages every search test starts from.
fn catalog(db: &mut TestDb) {
    let (alice, bob) = db.tx(|tx| Ok((user(tx, "alice"), user(tx, "bob")))).unwrap();
    publish(db, alice, "Widget.Core", "1.0.0", "Core types.", "<tags>ui controls</tags>");
    publish(db, alice, "Widget", "1.0.0", "The widget.", "");
    // More downloaded than either widget, and "widget" only in its description.
    publish(db, bob, "Gadget", "1.0.0", "Works with any widget or spreadsheet.", "<title>Gadget kit</title>");
    downloads(db, "gadget", 1000);
    publish(db, bob, "Acme.JsonTools", "1.0.0", "Reads things.", "<tags>json</tags><summary>Parsing.</summary>");
    publish(db, bob, "Beta.Only", "1.0.0-beta", "Prerelease widget.", "");
}

#[test]
fn search_finds_by_id_word_prefix_and_description_on_both_engines() {
    on_both_engines(|db| {
        catalog(db);
        // An id word, an id part (camel case hump), a prefix of one, a description word.
        assert_eq!(ids(db, "jsontools"), ["acme.jsontools"]);
        assert_eq!(ids(db, "tools"), ["acme.jsontools"]);
        assert_eq!(ids(db, "acme.json"), ["acme.jsontools"]);
        assert_eq!(ids(db, "spreadsh"), ["gadget"]);
        assert_eq!(ids(db, "parsing"), ["acme.jsontools"], "a summary word");
        // Every word must match.
        assert_eq!(ids(db, "widget spreadsheet"), ["gadget"]);
        assert!(ids(db, "widget nothinglikethis").is_empty());

        // The exact id first, then the id words above a description (though Gadget is downloaded
        // most); the prerelease-only id is not shown to a client that does not ask for it.
        assert_eq!(find(db, "widget"), (3, vec!["widget".into(), "widget.core".into(), "gadget".into()]));
        let mut prerelease = ParsedQuery::parse("widget");
        prerelease.include_prerelease = true;
        assert_eq!(find_with(db, &prerelease).0, 4);

        // Fields: the column alone, not the others of its weight.
        assert_eq!(ids(db, "tags:ui"), ["widget.core"]);
        assert!(ids(db, "tags:gadget").is_empty(), "a title word is not a tag");
        assert_eq!(ids(db, "title:kit"), ["gadget"]);
        assert_eq!(ids(db, "owner:bob widget"), ["gadget"]);
        let mut by_id = ids(db, "id:widget");
        by_id.sort();
        assert_eq!(by_id, ["widget", "widget.core"]);
        assert_eq!(ids(db, "description:spreadsheet"), ["gadget"]);
        assert_eq!(ids(db, "packageid:Widget"), ["widget"]);
        assert_eq!(ids(db, "packageid:Widget version:1.0.0"), ["widget"]);
        assert!(ids(db, "packageid:Widget version:2.0.0").is_empty());
        // Input that is syntax to either engine is only words.
        assert_eq!(ids(db, "widget' & !core:* | \"(gadget"), Vec::<String>::new());
        // (Quoted, the query is no longer the exact id: the two id matches rank by each engine's
        // own measure, bm25 or ts_rank, and both above the description match.)
        let quoted = ids(db, "'widget'");
        assert_eq!(quoted.len(), 3);
        assert_eq!(quoted[2], "gadget");

        // No words: every visible id by downloads; paging after ordering.
        assert_eq!(
            find(db, ""),
            (4, vec!["gadget".into(), "acme.jsontools".into(), "widget".into(), "widget.core".into()])
        );
        let mut page = ParsedQuery::parse("widget");
        (page.skip, page.take) = (1, 1);
        assert_eq!(find_with(db, &page), (3, vec!["widget.core".into()]));
        let mut by_downloads = ParsedQuery::parse("widget");
        by_downloads.sort = SortOrder::Downloads;
        assert_eq!(find_with(db, &by_downloads).1[0], "gadget");
    });
}

#[test]
fn hidden_versions_are_not_found_on_both_engines() {
    on_both_engines(|db| {
        let alice = db.tx(|tx| Ok(user(tx, "alice"))).unwrap();
        let key = publish(db, alice, "Quiet.Lib", "1.0.0", "Hush.", "");
        publish_as(db, alice, "Pending.Lib", "1.0.0", "Hush.", "", VersionStatus::Validating);
        assert_eq!(ids(db, "hush"), ["quiet.lib"], "a version still being validated is not found");
        assert!(db.tx(|tx| is_indexed(tx, key)).unwrap());

        db.tx(|tx| {
            set_listed(tx, key, "1.0.0", false)?;
            record_change(tx, key)
        })
        .unwrap();
        assert!(ids(db, "hush").is_empty(), "an unlisted version is not found");
        assert!(ids(db, "quiet").is_empty());
        assert!(find(db, "").1.is_empty(), "nor listed");
        assert!(!db.tx(|tx| is_indexed(tx, key)).unwrap());
    });
}

#[test]
fn generations_and_changes_move_on_both_engines() {
    on_both_engines(|db| {
        assert_eq!(db.tx(|tx| generation(tx)).unwrap(), 0);
        let alice = db.tx(|tx| Ok(user(tx, "alice"))).unwrap();
        let key = publish(db, alice, "Acme", "1.0.0", "First.", "<tags>a b</tags>");
        let after_push = db.tx(|tx| generation(tx)).unwrap();
        assert!(after_push > 0);

        let (at, docs) = db.tx(|tx| index_docs(tx)).unwrap();
        assert_eq!(at, after_push);
        assert_eq!(docs.len(), 1);
        let doc = &docs[0];
        assert_eq!((doc.key, doc.id_lower.as_str(), doc.downloads), (key, "acme", 0));
        assert_eq!(doc.columns, ["Acme", "Acme", "", "", "First.", "a b", "Test Author", "alice"].map(String::from));
        assert_ne!(doc.visibility & visibility::required(false, false), 0);

        // A download flush and a change by id are changes; an unknown id is none.
        db.tx(|tx| note_change_by_id(tx, "acme")).unwrap();
        db.tx(|tx| note_change_by_id(tx, "unknown")).unwrap();
        let moved = db.tx(|tx| generation(tx)).unwrap();
        assert_eq!(moved, after_push + 1);
        db.tx(|tx| bump_generation(tx)).unwrap();
        assert_eq!(db.tx(|tx| generation(tx)).unwrap(), moved + 1);
        let changes = db.tx(|tx| changed_since(tx, after_push)).unwrap();
        assert!(matches!(changes.as_slice(), [IndexChange::Present(d)] if d.key == key && d.columns[4] == "First."));
        assert!(db.tx(|tx| changed_since(tx, moved + 1)).unwrap().is_empty());

        // Unlisted: the change says the package left the index.
        db.tx(|tx| {
            set_listed(tx, key, "1.0.0", false)?;
            record_change(tx, key)
        })
        .unwrap();
        let changes = db.tx(|tx| changed_since(tx, moved + 1)).unwrap();
        assert!(matches!(changes.as_slice(), [IndexChange::Absent(k)] if *k == key));
        assert!(db.tx(|tx| index_docs(tx)).unwrap().1.is_empty());
    });
}

#[test]
fn rebuild_repairs_drift_and_orphans_on_both_engines() {
    on_both_engines(|db| {
        let alice = db.tx(|tx| Ok(user(tx, "alice"))).unwrap();
        let first = publish(db, alice, "Acme", "1.0.0", "First.", "<tags>a</tags>");
        let second = publish(db, alice, "Other", "1.0.0", "Second.", "");
        assert_eq!(db.tx(|tx| all_package_keys(tx)).unwrap(), [first, second]);
        assert_eq!(db.tx(|tx| rebuild_packages(tx, &[first, second])).unwrap(), 0, "nothing drifted");

        // A row that says something else, and a row of no package.
        db.tx(|tx| {
            tx.execute("UPDATE package_search SET tags = 'stale' WHERE rowid = ?1", values![first])?;
            tx.execute(
                "INSERT INTO package_search (rowid, package_id, id_parts, tags, owners) VALUES (999, 'Gone', 'Gone', '', '')",
                values![],
            )
        })
        .unwrap();
        assert_eq!(ids(db, "stale"), ["acme"]);
        let before = db.tx(|tx| generation(tx)).unwrap();
        assert_eq!(db.tx(|tx| remove_orphans(tx)).unwrap(), 1);
        assert!(matches!(db.tx(|tx| changed_since(tx, before)).unwrap().as_slice(), [IndexChange::Absent(999)]));
        assert_eq!(db.tx(|tx| rebuild_packages(tx, &[first, second])).unwrap(), 1);
        assert!(ids(db, "stale").is_empty());
        assert_eq!(ids(db, "tags:a"), ["acme"]);
        assert_eq!(db.tx(|tx| remove_orphans(tx)).unwrap(), 0);
    });
}

#[test]
fn autocomplete_reads_an_id_range_on_both_engines() {
    on_both_engines(|db| {
        let alice = db.tx(|tx| Ok(user(tx, "alice"))).unwrap();
        for id in ["Ab", "Ab.C", "AbZ", "Ac", "Ab_D"] {
            publish(db, alice, id, "1.0.0", "Text.", "");
        }
        publish(db, alice, "Ab.Beta", "1.0.0-beta", "Text.", "");
        downloads(db, "abz", 5);
        let complete = |db: &mut TestDb, prefix: &str, prerelease: bool| {
            db.tx(|tx| autocomplete_ids(tx, prefix, 0, 10, prerelease, false)).unwrap()
        };
        assert_eq!(complete(db, "AB", false), (4, ["AbZ", "Ab", "Ab.C", "Ab_D"].map(String::from).to_vec()));
        assert_eq!(complete(db, "ab", true).0, 5);
        assert_eq!(complete(db, "ab.", false), (1, vec!["Ab.C".to_owned()]));
        assert_eq!(complete(db, "x", false), (0, vec![]));
    });
}

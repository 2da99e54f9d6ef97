//! The v2 feed's queries on both engines: the same listings, asserted the same way on SQLite and
//! on PostgreSQL (`db::sql::testing`).
use super::*;
use crate::db::package_fixtures::{push, user};
use crate::db::sql::testing::{on_both_engines, TestDb};
use crate::domain::version_status::VersionStatus;
use crate::search::query::ParsedQuery;
use crate::values;

/// Contoso.Core 1.0.0, 1.2.0 (unlisted), 1.10.0, 2.0.0-beta; Contoso.Web 1.0.0 ("Web Tools");
/// Json 1.0.0; Json.Lib 3.0.0 (a `%` and `_` in its description). Search text for each id.
fn fixture(db: &mut TestDb) {
    db.tx(|tx| {
        let alice = user(tx, "alice");
        let with = |description: &str, extra: &str| format!("<summary>{description}</summary>{extra}");
        for (id, version, extra) in [
            ("Contoso.Core", "1.0.0", with("core", "")),
            ("Contoso.Core", "1.2.0", with("core", "")),
            ("Contoso.Core", "1.10.0", with("core", "<title>Ünïcode Core</title>")),
            ("Contoso.Core", "2.0.0-beta", with("core", "")),
            ("Contoso.Web", "1.0.0", with("web", "<title>Web Tools</title><tags>web api</tags>")),
            ("Json", "1.0.0", with("json", "")),
            ("Json.Lib", "3.0.0", with("lib", "")),
        ] {
            push(tx, id, version, &extra, VersionStatus::Available, alice)?;
        }
        tx.execute("UPDATE package_versions SET listed = 0 WHERE version_lower = '1.2.0'", values![])?;
        tx.execute(
            "UPDATE package_versions SET description = 'Parses JSON: 100%_fast' WHERE package_key =
             (SELECT id FROM packages WHERE id_lower = 'json.lib')",
            values![],
        )?;
        tx.execute(
            "UPDATE package_versions SET description = 'Serves JSON over HTTP' WHERE package_key =
             (SELECT id FROM packages WHERE id_lower = 'contoso.web')",
            values![],
        )?;
        for (id, downloads) in [("contoso.core", 50), ("contoso.web", 40), ("json", 5), ("json.lib", 30)] {
            tx.execute("UPDATE packages SET total_downloads = ?2 WHERE id_lower = ?1", values![id, downloads])?;
        }
        let ids: Vec<(i64, String)> =
            tx.query_map("SELECT id, package_id FROM packages", values![], |r| Ok((r.get(0)?, r.get(1)?)))?;
        for (key, id) in ids {
            tx.execute(
                "INSERT INTO package_search (rowid, package_id, id_parts, title, summary, description, tags, authors, owners)
                 SELECT ?1, ?2, ?3, v.title, v.summary, v.description, v.tags, v.authors, 'alice'
                 FROM package_versions v WHERE v.package_key = ?1 ORDER BY v.id DESC LIMIT 1",
                values![key, id.clone(), id.to_ascii_lowercase().replace('.', " ")],
            )?;
        }
        Ok(())
    })
    .unwrap();
}

fn text(column: TextColumn, case: Case, op: TextOp, value: &str) -> Condition {
    Condition::Text { column, case, op, value: value.to_owned() }
}

/// "id version" of each row, in order.
fn rows(db: &mut TestDb, q: &VersionQuery<'_>, skip: usize, limit: Option<usize>) -> Vec<String> {
    db.tx(|tx| select(tx, q, skip, limit))
        .unwrap()
        .into_iter()
        .map(|h| format!("{} {}", h.id_lower, h.version_full))
        .collect()
}

/// The rows of `condition`, by id then version.
fn matching(db: &mut TestDb, condition: &Condition) -> Vec<String> {
    let q = VersionQuery { semver2: true, fts: None, condition, order: &[] };
    rows(db, &q, 0, None)
}

#[test]
fn filters_answer_the_same_on_both_engines() {
    on_both_engines(|db| {
        fixture(db);
        let core_latest = ["contoso.core 1.10.0"];
        let web_json = ["contoso.web 1.0.0", "json 1.0.0", "json.lib 3.0.0"];
        for (condition, expected) in [
            (text(TextColumn::Id, Case::Lower, TextOp::Eq, "contoso.web"), &["contoso.web 1.0.0"][..]),
            (text(TextColumn::Id, Case::AsIs, TextOp::Eq, "contoso.web"), &[][..]),
            (text(TextColumn::Id, Case::Upper, TextOp::StartsWith, "JSON"), &["json 1.0.0", "json.lib 3.0.0"][..]),
            (text(TextColumn::Id, Case::Lower, TextOp::EndsWith, ".lib"), &["json.lib 3.0.0"][..]),
            (text(TextColumn::Id, Case::Lower, TextOp::EndsWith, "x.json.lib"), &[][..]),
            (text(TextColumn::Description, Case::Lower, TextOp::Contains, "json"), &web_json[..]),
            (text(TextColumn::Description, Case::AsIs, TextOp::Contains, "json"), &[][..]),
            // `%` and `_` are characters, not wildcards.
            (text(TextColumn::Description, Case::AsIs, TextOp::Contains, "0%_f"), &["json.lib 3.0.0"][..]),
            (text(TextColumn::Description, Case::AsIs, TextOp::Contains, "1_0"), &[][..]),
            (text(TextColumn::Tags, Case::Lower, TextOp::Contains, " api "), &["contoso.web 1.0.0"][..]),
            // Folding is ASCII's on both engines, as SQLite's lower() folds.
            (text(TextColumn::Title, Case::Lower, TextOp::Eq, "Ünïcode core"), &core_latest[..]),
            (text(TextColumn::Title, Case::Lower, TextOp::Eq, "ünïcode core"), &[][..]),
            (text(TextColumn::Title, Case::Upper, TextOp::Eq, "ÜNïCODE CORE"), &core_latest[..]),
            // null ne 'x' is true.
            (
                text(TextColumn::Title, Case::AsIs, TextOp::Ne, "Web Tools"),
                &[
                    "contoso.core 1.0.0",
                    "contoso.core 1.2.0",
                    "contoso.core 1.10.0",
                    "contoso.core 2.0.0-beta",
                    "json 1.0.0",
                    "json.lib 3.0.0",
                ][..],
            ),
            (
                Condition::Flag(BoolColumn::IsLatestVersion),
                &["contoso.core 1.10.0", "contoso.web 1.0.0", "json 1.0.0", "json.lib 3.0.0"][..],
            ),
            (
                Condition::All(vec![
                    Condition::Flag(BoolColumn::IsAbsoluteLatestVersion),
                    text(TextColumn::Id, Case::Lower, TextOp::StartsWith, "contoso."),
                ]),
                &["contoso.core 2.0.0-beta", "contoso.web 1.0.0"][..],
            ),
            (
                Condition::Any(vec![
                    Condition::IdIn(vec!["json".into()]),
                    Condition::All(vec![
                        Condition::IdIn(vec!["contoso.core".into()]),
                        Condition::Not(Box::new(Condition::Flag(BoolColumn::Listed))),
                    ]),
                ]),
                &["contoso.core 1.2.0", "json 1.0.0"][..],
            ),
            (
                Condition::Not(Box::new(Condition::Any(vec![
                    text(TextColumn::Id, Case::Lower, TextOp::StartsWith, "contoso"),
                    Condition::Int { column: IntColumn::DownloadCount, op: IntOp::Lt, value: 10 },
                ]))),
                &["json.lib 3.0.0"][..],
            ),
            (Condition::Any(vec![]), &[][..]),
            (Condition::IdIn(vec![]), &[][..]),
            (Condition::VersionIs("2.0.0-beta".into()), &["contoso.core 2.0.0-beta"][..]),
        ] {
            let mut got = matching(db, &condition);
            got.sort();
            let mut expected: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
            expected.sort();
            assert_eq!(got, expected, "{condition:?} on {:?}", db.engine());
        }
    });
}

#[test]
fn orders_pages_and_counts_the_same_on_both_engines() {
    on_both_engines(|db| {
        fixture(db);
        let all = Condition::True;
        // NuGet version order, not text order: 1.2.0 < 1.10.0 and a prerelease < its release.
        let by_version = [(OrderKey::Version, true), (OrderKey::Id, false)];
        let q = VersionQuery { semver2: true, fts: None, condition: &all, order: &by_version };
        assert_eq!(
            rows(db, &q, 0, None),
            [
                "json.lib 3.0.0",
                "contoso.core 2.0.0-beta",
                "contoso.core 1.10.0",
                "contoso.core 1.2.0",
                "contoso.core 1.0.0",
                "contoso.web 1.0.0",
                "json 1.0.0",
            ]
        );
        // Several keys; ids compare byte by byte (`contoso.core` < `contoso.web` < `json` < `json.lib`).
        let keys = [(OrderKey::DownloadCount, false), (OrderKey::Title, true), (OrderKey::Version, false)];
        let q = VersionQuery { semver2: true, fts: None, condition: &all, order: &keys };
        let ordered = [
            "json 1.0.0",
            "json.lib 3.0.0",
            "contoso.web 1.0.0",
            "contoso.core 1.10.0",
            "contoso.core 1.0.0",
            "contoso.core 1.2.0",
            "contoso.core 2.0.0-beta",
        ];
        assert_eq!(rows(db, &q, 0, None), ordered);
        // $skip / $top page through the same order.
        assert_eq!(rows(db, &q, 2, Some(3)), ordered[2..5]);
        assert_eq!(rows(db, &q, 6, Some(3)), ordered[6..]);
        assert!(rows(db, &q, 7, Some(3)).is_empty());
        assert_eq!(db.tx(|tx| count(tx, &q)).unwrap(), 7);
        // Only SemVer 1.0 versions without `semVerLevel` (all of these are) and a count under a condition.
        let listed = Condition::Flag(BoolColumn::Listed);
        let q = VersionQuery { semver2: false, fts: None, condition: &listed, order: &keys };
        assert_eq!(db.tx(|tx| count(tx, &q)).unwrap(), 6);
        // Nulls first ascending, last descending, on both (titles are null but for two versions).
        let by_published = [(OrderKey::LastUpdated, false), (OrderKey::Published, true)];
        let q = VersionQuery { semver2: true, fts: None, condition: &listed, order: &by_published };
        assert_eq!(rows(db, &q, 0, Some(1)).len(), 1);
    });
}

#[test]
fn search_finds_words_and_puts_the_exact_id_first_on_both_engines() {
    on_both_engines(|db| {
        fixture(db);
        let listed = Condition::Flag(BoolColumn::Listed);
        let search = |db: &mut TestDb, term: &str| {
            let parsed = ParsedQuery::parse(term);
            let fts = parsed.fts_expression().unwrap();
            let order = [(OrderKey::Relevance { exact_id_lower: parsed.raw_lower.clone() }, false)];
            let q = VersionQuery { semver2: true, fts: Some(&fts), condition: &listed, order: &order };
            let found = rows(db, &q, 0, None);
            assert_eq!(db.tx(|tx| count(tx, &q)).unwrap(), found.len());
            found
        };
        // By a word of the id: the id equal to the query first, then id matches above a description's.
        assert_eq!(search(db, "json"), ["json 1.0.0", "json.lib 3.0.0", "contoso.web 1.0.0"]);
        assert_eq!(search(db, "lib"), ["json.lib 3.0.0"]);
        // By a word of the description, by prefix, and by a column.
        assert_eq!(search(db, "HTTP"), ["contoso.web 1.0.0"]);
        assert_eq!(search(db, "pars"), ["json.lib 3.0.0"]);
        assert_eq!(search(db, "tags:api"), ["contoso.web 1.0.0"]);
        assert_eq!(search(db, "id:web"), ["contoso.web 1.0.0"]);
        assert!(search(db, "id:http").is_empty());
        assert!(search(db, "nothing").is_empty());
    });
}

#[test]
fn entries_carry_their_record_flags_and_owners_on_both_engines() {
    on_both_engines(|db| {
        fixture(db);
        let all = Condition::IdIn(vec!["contoso.core".into()]);
        let order = [(OrderKey::Version, false)];
        let q = VersionQuery { semver2: true, fts: None, condition: &all, order: &order };
        let keys: Vec<i64> = db.tx(|tx| select(tx, &q, 0, None)).unwrap().iter().map(|h| h.key).collect();
        let reversed: Vec<i64> = keys.iter().rev().copied().collect();
        let entries = db.tx(|tx| load_entries(tx, &reversed, true)).unwrap();
        let shown: Vec<(&str, bool, bool, bool)> = entries
            .iter()
            .map(|e| (e.version.version_full.as_str(), e.version.listed, e.is_latest, e.is_absolute_latest))
            .collect();
        assert_eq!(
            shown,
            [
                ("2.0.0-beta", true, false, true),
                ("1.10.0", true, true, false),
                ("1.2.0", false, false, false),
                ("1.0.0", true, false, false)
            ]
        );
        let e = &entries[1];
        assert_eq!(
            (e.id_lower.as_str(), e.total_downloads, e.owners.clone()),
            ("contoso.core", 50, vec!["alice".to_owned()])
        );
        assert_eq!(e.version.title.as_deref(), Some("Ünïcode Core"));
        assert_eq!(e.version.status, VersionStatus::Available);
        assert!(db.tx(|tx| load_entries(tx, &[], true)).unwrap().is_empty());
    });
}

//! The package queries on both engines: pushes, listing and status changes, rendered-document
//! bookkeeping, and the loaders (one id, a page of ids) reading the same records everywhere.
use super::*;
use crate::db::package_fixtures::{push, user};
use crate::db::sql::testing::on_both_engines;

const DEPENDENCIES: &str = r#"<dependencies><group targetFramework="net8.0">
    <dependency id="Zeta" version="2.0.0" /><dependency id="Alpha" version="[1.0.0, 2.0.0)" />
    </group><group targetFramework="net472" /></dependencies>"#;

#[test]
fn pushes_lists_and_changes_versions_on_both_engines() {
    on_both_engines(|db| {
        let (owner, other) = db.tx(|tx| Ok((user(tx, "Alice"), user(tx, "Bob")))).unwrap();
        let (key, first) =
            db.tx(|tx| push(tx, "Acme.Json", "1.0.0", DEPENDENCIES, VersionStatus::Available, owner)).unwrap();
        db.tx(|tx| push(tx, "Acme.Json", "1.10.0", "", VersionStatus::Available, owner)).unwrap();
        db.tx(|tx| push(tx, "Acme.Json", "1.2.0-RC.1", "", VersionStatus::Validating, owner)).unwrap();
        db.tx(|tx| push(tx, "Other", "3.0.0", "", VersionStatus::Available, other)).unwrap();

        // The id is found by its folded key whatever the case it was pushed with.
        let found = db.tx(|tx| find(tx, "acme.json")).unwrap().unwrap();
        assert_eq!((found.key, found.package_id.as_str()), (key, "Acme.Json"));
        assert_eq!(db.tx(|tx| find_or_create(tx, "ACME.json", Some(other))).unwrap(), (key, false));
        assert_eq!(db.tx(|tx| owner_ids(tx, key)).unwrap(), [owner], "an existing id gains no owner");
        assert_eq!(db.tx(|tx| owned_by(tx, other)).unwrap(), ["other"]);
        assert_eq!(db.tx(|tx| all_ids(tx)).unwrap(), ["acme.json", "other"]);
        assert_eq!(db.tx(|tx| count_packages(tx)).unwrap(), (2, 3));
        assert_eq!(db.tx(|tx| version_status(tx, "acme.json", "1.2.0-rc.1")).unwrap(), Some(VersionStatus::Validating));
        assert_eq!(db.tx(|tx| version_status(tx, "acme.json", "9.9.9")).unwrap(), None);

        // A group's dependencies come back in the nuspec's order; an empty group is kept.
        let groups = db.tx(|tx| dependency_groups(tx, first)).unwrap();
        let shown: Vec<(Option<&str>, Vec<&str>)> = groups
            .iter()
            .map(|g| (g.target_framework.as_deref(), g.dependencies.iter().map(|d| d.id.as_str()).collect()))
            .collect();
        assert_eq!(shown, [(Some("net8.0"), vec!["Zeta", "Alpha"]), (Some("net472"), vec![])]);

        // The same id+version again: the database refuses it and nothing more is stored.
        let again = db.tx(|tx| push(tx, "acme.json", "1.0.0", "", VersionStatus::Available, owner)).unwrap_err();
        assert!(again.is_unique_violation(), "{again}");
        assert_eq!(db.tx(|tx| count_packages(tx)).unwrap(), (2, 3));

        // Unlist and relist; a version that does not exist changes nothing.
        let listed = |db: &mut crate::db::sql::testing::TestDb| -> bool {
            db.tx(|tx| tx.query_row("SELECT listed FROM package_versions WHERE id = ?1", values![first], |r| r.get(0)))
                .unwrap()
        };
        assert!(db.tx(|tx| set_listed(tx, key, "1.0.0", false)).unwrap());
        assert!(!listed(db));
        assert!(db.tx(|tx| set_listed(tx, key, "1.0.0", true)).unwrap());
        assert!(listed(db));
        assert!(!db.tx(|tx| set_listed(tx, key, "4.0.0", false)).unwrap());

        // A status change, and a deleted version can no longer be unlisted.
        assert!(db.tx(|tx| set_status(tx, key, "1.0.0", VersionStatus::Deleted, Some("gone"))).unwrap());
        assert_eq!(db.tx(|tx| version_status(tx, "acme.json", "1.0.0")).unwrap(), Some(VersionStatus::Deleted));
        assert!(!db.tx(|tx| set_listed(tx, key, "1.0.0", false)).unwrap());
        assert_eq!(db.tx(|tx| count_packages(tx)).unwrap(), (2, 2));

        db.tx(|tx| add_downloads(tx, "acme.json", "1.10.0", 5)).unwrap();
        let downloads: (i64, i64) = db
            .tx(|tx| {
                tx.query_row(
                    "SELECT v.downloads, p.total_downloads FROM package_versions v JOIN packages p ON p.id = v.package_key
                     WHERE p.id_lower = 'acme.json' AND v.version_lower = '1.10.0'",
                    values![],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
            })
            .unwrap();
        assert_eq!(downloads, (5, 5));
    });
}

#[test]
fn an_id_created_after_the_lookup_is_returned_as_existing_on_both_engines() {
    on_both_engines(|db| {
        let (alice, bob) = db.tx(|tx| Ok((user(tx, "Alice"), user(tx, "Bob")))).unwrap();
        let (key, created) = db.tx(|tx| find_or_create(tx, "Acme.Json", Some(alice))).unwrap();
        assert!(created);
        // As when another node's push commits between this push's lookup and its insert.
        let raced = db.tx(|tx| create(tx, "ACME.JSON", "acme.json", Some(bob))).unwrap();
        assert_eq!(raced, (key, false));
        assert_eq!(db.tx(|tx| owner_ids(tx, key)).unwrap(), [alice], "the loser gains no ownership");
        assert_eq!(db.tx(|tx| find(tx, "acme.json")).unwrap().unwrap().package_id, "Acme.Json");
    });
}

#[test]
fn rendered_documents_catch_up_with_changes_on_both_engines() {
    on_both_engines(|db| {
        let owner = db.tx(|tx| Ok(user(tx, "alice"))).unwrap();
        db.tx(|tx| push(tx, "Acme", "1.0.0", "", VersionStatus::Available, owner)).unwrap();
        assert!(db.tx(|tx| ids_with_stale_docs(tx)).unwrap().is_empty());
        let key = db.tx(|tx| find(tx, "acme")).unwrap().unwrap().key;
        db.tx(|tx| record_change(tx, key)).unwrap();
        db.tx(|tx| record_change(tx, key)).unwrap();
        assert_eq!(db.tx(|tx| ids_with_stale_docs(tx)).unwrap(), ["acme"]);
        assert_eq!(db.tx(|tx| docs_changes(tx, "acme")).unwrap(), 2);
        assert_eq!(db.tx(|tx| docs_changes(tx, "unknown")).unwrap(), 0);
        db.tx(|tx| mark_rendered(tx, "acme", 1)).unwrap();
        assert_eq!(db.tx(|tx| ids_with_stale_docs(tx)).unwrap(), ["acme"]);
        db.tx(|tx| mark_rendered(tx, "acme", 2)).unwrap();
        db.tx(|tx| mark_rendered(tx, "acme", 1)).unwrap();
        assert!(db.tx(|tx| ids_with_stale_docs(tx)).unwrap().is_empty(), "a late, older render does not go back");
        db.tx(|tx| mark_writing(tx, "acme", 7)).unwrap();
        db.tx(|tx| mark_writing(tx, "acme", 3)).unwrap();
        let epoch: i64 = db.tx(|tx| tx.query_row("SELECT docs_epoch FROM packages", values![], |r| r.get(0))).unwrap();
        assert_eq!(epoch, 7);
    });
}

const METADATA: &str = r#"<title>Acme Tools</title><tags>json parsing</tags><summary>Short.</summary>
    <packageTypes><packageType name="Dependency" /></packageTypes>
    <dependencies><group targetFramework="net8.0"><dependency id="Zeta" version="2.0.0" /></group></dependencies>"#;

/// What a loaded package holds apart from the times its rows were stamped with (each engine's
/// clock), for comparing the two engines' answers whole.
fn without_times(mut package: PackageRecord) -> PackageRecord {
    for v in &mut package.versions {
        (v.created_at, v.published_at, v.last_edited_at) = (String::new(), String::new(), String::new());
    }
    package
}

#[test]
fn loaders_read_the_same_records_on_both_engines() {
    let answers = std::sync::Mutex::new(Vec::new());
    on_both_engines(|db| {
        let (zed, amy) = db.tx(|tx| Ok((user(tx, "Zed"), user(tx, "amy")))).unwrap();
        for version in ["2.0.0", "10.0.0", "1.0.0-beta", "1.0.0"] {
            db.tx(|tx| push(tx, "Acme.One", version, METADATA, VersionStatus::Available, zed)).unwrap();
        }
        db.tx(|tx| push(tx, "Acme.Two", "1.0.0", "", VersionStatus::Validating, amy)).unwrap();
        let one = db.tx(|tx| find(tx, "acme.one")).unwrap().unwrap().key;
        db.tx(|tx| super::super::owners::add_owner(tx, one, amy)).unwrap();
        db.tx(|tx| add_downloads(tx, "acme.one", "2.0.0", 7)).unwrap();
        db.tx(|tx| set_listed(tx, one, "10.0.0", false)).unwrap();

        let full = db.tx(|tx| load(tx, "ACME.ONE".to_ascii_lowercase().as_str())).unwrap().unwrap();
        assert_eq!((full.package_id.as_str(), full.total_downloads, full.verified), ("Acme.One", 7, false));
        assert_eq!(full.owners, ["amy", "Zed"], "owners in name order, whatever the case");
        let versions: Vec<&str> = full.versions.iter().map(|v| v.version_full.as_str()).collect();
        assert_eq!(versions, ["1.0.0-beta", "1.0.0", "2.0.0", "10.0.0"], "NuGet's version order");
        let v2 = &full.versions[2];
        assert_eq!(
            (v2.title.as_deref(), v2.tags.as_str(), v2.summary.as_deref()),
            (Some("Acme Tools"), "json parsing", Some("Short."))
        );
        assert_eq!((v2.downloads, v2.listed, v2.status, v2.size), (7, true, VersionStatus::Available, 1));
        assert!(!full.versions[3].listed);
        assert!(full.versions[0].is_prerelease && !v2.is_prerelease);
        assert_eq!(v2.package_types, [PackageTypeRecord { name: "Dependency".into(), version: None }]);
        assert_eq!(v2.dependency_groups.len(), 1);
        assert_eq!(v2.dependency_groups[0].dependencies[0].id, "Zeta");
        assert_eq!(db.tx(|tx| load(tx, "missing")).unwrap().map(|p| p.key), None);

        // The summary is the same package without dependency groups.
        let summary = db.tx(|tx| load_summary(tx, "acme.one")).unwrap().unwrap();
        assert_eq!((summary.key, &summary.owners), (full.key, &full.owners));
        let mut expected = full.versions.clone();
        for v in &mut expected {
            v.dependency_groups.clear();
        }
        assert_eq!(summary.versions, expected);

        // A page reads each id as `load_summary` does, in the asked order, leaving out unknown ids.
        let asked = ["acme.two", "missing", "acme.one"].map(str::to_owned);
        let page = db.tx(|tx| load_summaries(tx, &asked)).unwrap();
        let ids: Vec<&str> = page.iter().map(|p| p.id_lower.as_str()).collect();
        assert_eq!(ids, ["acme.two", "acme.one"]);
        for package in &page {
            let alone = db.tx(|tx| load_summary(tx, &package.id_lower)).unwrap().unwrap();
            assert_eq!((&package.owners, package.total_downloads), (&alone.owners, alone.total_downloads));
            assert_eq!(package.versions, alone.versions);
        }
        assert!(db.tx(|tx| load_summaries(tx, &[])).unwrap().is_empty());
        answers
            .lock()
            .unwrap()
            .push(format!("{:?}", (without_times(full), page.into_iter().map(without_times).collect::<Vec<_>>())));
    });
    let answers = answers.into_inner().unwrap();
    if let [sqlite, postgres] = answers.as_slice() {
        assert_eq!(sqlite, postgres, "the engines load different records");
    }
}

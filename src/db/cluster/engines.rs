//! Counts several nodes write to one database: each node batches its downloads in memory
//! (`cache::downloads`) and flushes them with `packages::add_downloads`, so two nodes flushing the
//! same version must add their counts, never write one over the other.
use super::testing::Shared;
use crate::db::package_fixtures::{push, user};
use crate::db::packages::{add_downloads, find_or_create, owner_ids};
use crate::domain::version_status::VersionStatus;
use crate::values;
use std::time::Duration;

#[test]
fn two_nodes_flushing_the_same_version_add_up() {
    for db in Shared::both() {
        db.tx(|tx| {
            let owner = user(tx, "alice");
            push(tx, "Acme.Json", "1.0.0", "", VersionStatus::Available, owner).map(|_| ())
        })
        .unwrap();
        // The second flush starts while the first holds its transaction open: it waits for the
        // first's commit (a row lock on PostgreSQL, the write lock on SQLite) and adds to its result.
        std::thread::scope(|threads| {
            let mut second = None;
            db.tx(|first| {
                add_downloads(first, "acme.json", "1.0.0", 5)?;
                second = Some(threads.spawn(|| db.tx(|tx| add_downloads(tx, "acme.json", "1.0.0", 7))));
                std::thread::sleep(Duration::from_millis(50));
                Ok(())
            })
            .unwrap();
            second.unwrap().join().unwrap().unwrap();
        });
        db.tx(|tx| add_downloads(tx, "acme.json", "1.0.0", 1)).unwrap();
        let counts: (i64, i64) = db
            .tx(|tx| {
                tx.query_row(
                    "SELECT v.downloads, p.total_downloads FROM package_versions v JOIN packages p ON p.id = v.package_key
                     WHERE p.id_lower = 'acme.json' AND v.version_lower = '1.0.0'",
                    values![],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
            })
            .unwrap();
        assert_eq!(counts, (13, 13));
    }
}

/// Two nodes pushing the same new id at once: the second's insert of the package row waits for
/// the first's commit and takes its row (then the version's own uniqueness decides, as for any id).
/// PostgreSQL only: SQLite is one node, whose pushes take the write lock before their lookup.
#[test]
fn two_nodes_creating_the_same_id_share_its_row() {
    for db in Shared::both().into_iter().filter(|db| matches!(db, Shared::Postgres { .. })) {
        let (alice, bob) = db.tx(|tx| Ok((user(tx, "alice"), user(tx, "bob")))).unwrap();
        let ((first, created), second) = std::thread::scope(|threads| {
            let mut second = None;
            let first = db
                .tx(|tx| {
                    let made = find_or_create(tx, "Acme.Json", Some(alice))?;
                    second = Some(threads.spawn(|| db.tx(|tx| find_or_create(tx, "acme.json", Some(bob)))));
                    std::thread::sleep(Duration::from_millis(50));
                    Ok(made)
                })
                .unwrap();
            (first, second.unwrap().join().unwrap())
        });
        assert!(created);
        assert_eq!(second.unwrap(), (first, false));
        assert_eq!(db.tx(|tx| owner_ids(tx, first)).unwrap(), [alice]);
    }
}

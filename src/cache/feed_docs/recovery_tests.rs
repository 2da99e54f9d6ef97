//! The unclean-stop recovery of the rendered documents: which ids are rendered again, and when
//! the clean-stop marker spares a start that work.
use super::recovery::{FLUSHED, FLUSHED_EPOCH};
use super::FeedDocs;
use crate::config::CacheConfig;
use crate::protocol::urls::UrlGenerator;
use std::path::Path;
use std::sync::atomic::Ordering;

fn open(root: &Path) -> FeedDocs {
    FeedDocs::new(root.to_owned(), UrlGenerator::new("http://localhost"), &CacheConfig::default()).unwrap()
}

/// A database with the given ids, each with no available version (so a render writes: it
/// removes the id's documents), and the connection to use.
fn database(dir: &Path, ids: &[&str]) -> (crate::db::Database, crate::db::Conn) {
    let pool = crate::db::pool::open(&dir.join("galley.db"), &crate::domain::clock::Clock::system()).unwrap();
    let conn = pool.get().unwrap();
    for id in ids {
        conn.execute("INSERT INTO packages (package_id, id_lower, created_at) VALUES (?1, ?1, 'now')", [id]).unwrap();
    }
    (crate::db::Database::sqlite(pool), conn)
}

fn forced(conn: &rusqlite::Connection) -> Vec<String> {
    let mut ids: Vec<String> = crate::db::recovery::ids_forced(conn).unwrap().into_iter().collect();
    ids.sort();
    ids
}

#[test]
fn after_an_unclean_stop_only_the_ids_written_since_the_last_flush_are_rendered_again() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cache");
    let (db, conn) = database(dir.path(), &["a", "b", "c"]);
    let first = open(&root);
    for id in ["a", "b", "c"] {
        first.refresh(&conn, id).unwrap();
    }
    first.close();

    // A process writes "b" and crashes (no close).
    let crashed = open(&root);
    crashed.refresh(&conn, "b").unwrap();
    drop(crashed);

    let after_crash = open(&root);
    assert!(after_crash.needs_repair());
    assert_eq!(after_crash.mark_for_repair(&db).unwrap(), 1);
    assert_eq!(forced(&conn), ["b"]);
    assert_eq!(after_crash.render_stale(&db).unwrap(), 1, "only b is rendered again");
    after_crash.close();
    assert!(!open(&root).needs_repair());
}

#[test]
fn a_process_that_writes_nothing_makes_no_id_suspect() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cache");
    let (db, conn) = database(dir.path(), &["a"]);
    let first = open(&root);
    first.refresh(&conn, "a").unwrap();
    first.close();
    drop(open(&root));
    let after_crash = open(&root);
    assert_eq!(after_crash.mark_for_repair(&db).unwrap(), 0);
    assert!(forced(&conn).is_empty());
}

#[test]
fn without_a_recorded_flush_epoch_every_id_is_rendered_again() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cache");
    let (db, conn) = database(dir.path(), &["a", "b"]);
    open(&root).close();
    // A folder closed cleanly before epochs were recorded, then an unclean stop.
    std::fs::remove_file(root.join(FLUSHED_EPOCH)).unwrap();
    drop(open(&root));
    let after_crash = open(&root);
    assert_eq!(after_crash.mark_for_repair(&db).unwrap(), 2);
    assert_eq!(forced(&conn), ["a", "b"]);
}

#[test]
fn only_a_clean_end_spares_the_next_start_a_full_render() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cache");
    // A new folder has nothing torn in it.
    let first = open(&root);
    assert!(!first.needs_repair());
    first.close();
    assert!(root.join(FLUSHED).exists());

    // A process that stops without closing (a crash) leaves no marker behind.
    let crashed = open(&root);
    assert!(!root.join(FLUSHED).exists(), "the marker goes while documents may be unflushed");
    drop(crashed);
    let after_crash = open(&root);
    assert!(after_crash.needs_repair());

    // Closing without having re-rendered everything keeps the need for it...
    after_crash.close();
    assert!(open(&root).needs_repair());
    // ...and a full render clears it.
    let repairing = open(&root);
    repairing.repaired.store(true, Ordering::Relaxed);
    repairing.close();
    assert!(!open(&root).needs_repair());
}

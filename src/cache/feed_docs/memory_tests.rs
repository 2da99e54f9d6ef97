//! The loaded sets stay within `[cache] ids_mb`, and a render of every id (the hourly reindex)
//! loads none: the memory holds the ids that were asked for.
use super::FeedDocs;
use crate::config::CacheConfig;
use crate::db::package_fixtures::{push, user};
use crate::domain::version_status::VersionStatus;
use crate::protocol::urls::UrlGenerator;
use std::path::Path;
use std::sync::Arc;

fn open(root: &Path, ids_mb: u64) -> FeedDocs {
    let sizes = CacheConfig { ids_mb, ..CacheConfig::default() };
    FeedDocs::new(root.to_owned(), UrlGenerator::new("http://localhost"), &sizes).unwrap()
}

/// A database with `count` ids (`pkg0`, `pkg1`…) of one available version each, and every id's
/// documents rendered by `docs`; the connection and the owner's key.
fn rendered(dir: &Path, docs: &FeedDocs, count: usize) -> (crate::db::Conn, i64) {
    let pool = crate::db::pool::open(&dir.join("galley.db"), &crate::domain::clock::Clock::system()).unwrap();
    let conn = pool.get().unwrap();
    let owner = user(&conn, "owner");
    for i in 0..count {
        push(&conn, &format!("pkg{i}"), "1.0.0", "", VersionStatus::Available, owner).unwrap();
        docs.refresh(&conn, &format!("pkg{i}")).unwrap();
    }
    (conn, owner)
}

#[test]
fn rendering_loads_no_set_and_replaces_a_loaded_one() {
    let dir = tempfile::tempdir().unwrap();
    let docs = open(&dir.path().join("cache"), 8);
    let (conn, owner) = rendered(dir.path(), &docs, 20);
    assert_eq!(docs.sets.len(), 0, "a render loads no set nobody asked for");

    let before = docs.lookup("pkg3").unwrap();
    assert_eq!(docs.sets.len(), 1);
    // A push of a loaded id replaces its set at once (within the second a set is trusted).
    push(&conn, "pkg3", "1.0.1", "", VersionStatus::Available, owner).unwrap();
    docs.refresh(&conn, "pkg3").unwrap();
    let after = docs.lookup("pkg3").unwrap();
    assert_ne!(after.generation, before.generation);
    assert!(after.versions.contains("1.0.1"));
    assert_eq!(docs.sets.len(), 1, "rendering the other ids loaded none of them");
}

#[test]
fn loaded_sets_stay_within_ids_mb_and_an_id_past_it_is_read_from_its_pack() {
    let dir = tempfile::tempdir().unwrap();
    let docs = open(&dir.path().join("cache"), 1);
    let count = 1500;
    let _db = rendered(dir.path(), &docs, count);
    for i in 0..count {
        let set = docs.lookup(&format!("pkg{i}")).expect("every id is served");
        assert!(set.versions.contains("1.0.0"));
    }
    let held = docs.sets.len();
    assert!(docs.sets.weight() <= CacheConfig::bytes(1), "{} bytes held", docs.sets.weight());
    assert!(held > 100 && held < count, "{held} of {count} ids held in 1 MB");
    // The first ids were pushed out by the last ones, and still answer from their packs.
    assert!(docs.lookup("pkg0").is_some_and(|s| s.versions.contains("1.0.0")));
}

#[test]
fn with_no_memory_for_ids_every_lookup_reads_the_pack() {
    let dir = tempfile::tempdir().unwrap();
    let docs = open(&dir.path().join("cache"), 0);
    let _db = rendered(dir.path(), &docs, 3);
    for _ in 0..2 {
        assert!(docs.lookup("pkg1").is_some_and(|s| s.versions.contains("1.0.0")));
    }
    assert!(docs.lookup("pkg9").is_none());
    assert_eq!(docs.sets.len(), 0);
}

#[test]
fn a_request_reads_an_id_not_in_memory_on_the_blocking_pool_and_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let docs = Arc::new(open(&dir.path().join("cache"), 8));
    let _db = rendered(dir.path(), &docs, 2);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let set = runtime.block_on(docs.lookup_async("pkg1")).expect("a rendered id is served");
    assert!(set.versions.contains("1.0.0"));
    assert_eq!(docs.sets.len(), 1, "kept for the next request");
    assert!(runtime.block_on(docs.lookup_async("pkg1")).is_some_and(|again| Arc::ptr_eq(&again, &set)));
    assert!(runtime.block_on(docs.lookup_async("pkg9")).is_none());
    assert!(runtime.block_on(docs.lookup_async("..")).is_none());
}

/// `quick_cache` admits no entry heavier than one part of its budget; with its default of four
/// parts per core a 2 MB package was never held on two cores, nor one of 256 KB on 32.
#[actix_web::test]
async fn a_package_of_an_eighth_of_the_budget_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let sizes = CacheConfig { packages_mb: 16, ..CacheConfig::default() };
    let docs = FeedDocs::new(dir.path().join("cache"), UrlGenerator::new("http://localhost"), &sizes).unwrap();
    let largest = CacheConfig::bytes(16) / 8;
    assert!(docs.holds_file(largest));
    assert!(!docs.holds_file(largest + 1), "a larger file is read from disk per request");

    let path = dir.path().join("big.nupkg");
    std::fs::write(&path, vec![42u8; usize::try_from(largest).unwrap()]).unwrap();
    let read = docs.read_file(&path).await.unwrap();
    assert_eq!(read.bytes.len() as u64, largest);
    // Held: gone from the disk, it still answers, with the same validator.
    std::fs::remove_file(&path).unwrap();
    let held = docs.cached_file(&path).expect("held in memory");
    assert_eq!((held.bytes, held.etag), (read.bytes, read.etag));
}

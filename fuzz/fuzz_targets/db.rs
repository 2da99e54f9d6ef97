//! A migrated in-memory database with one indexed package, shared by the targets that check
//! that what a parser accepts becomes SQL SQLite accepts. One connection per fuzzing process.
use std::cell::RefCell;

use galley::db::{migrate, search, version_order};
use rusqlite::Connection;

thread_local! {
    static DB: RefCell<Connection> = RefCell::new(open());
}

fn open() -> Connection {
    let mut conn = Connection::open_in_memory().expect("an in-memory database opens");
    version_order::register(&conn).expect("the version order function registers");
    migrate::run(&mut conn).expect("the migrations apply");
    // One row in every table a query joins, so SQLite runs each part of the query (an empty
    // table can let it skip the full-text MATCH, which is where a bad expression would fail).
    conn.execute_batch(
        "INSERT INTO packages (id, package_id, id_lower, created_at) VALUES (1, 'Acme.Json', 'acme.json', '2024-01-01T00:00:00Z');
         INSERT INTO package_versions (package_key, version_original, version_normalized, version_lower, version_full,
             is_prerelease, is_semver2, authors, description, tags, hash_sha512, size, created_at, published_at, last_edited_at)
         VALUES (1, '1.0.0-Beta', '1.0.0-Beta', '1.0.0-beta', '1.0.0-Beta', 1, 0, 'Ann', 'Reads json fast', 'json fast',
             'AA==', 1, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z');
         INSERT INTO package_versions (package_key, version_original, version_normalized, version_lower, version_full,
             is_prerelease, is_semver2, authors, description, tags, hash_sha512, size, created_at, published_at, last_edited_at)
         VALUES (1, '1.0.0', '1.0.0', '1.0.0', '1.0.0', 0, 0, 'Ann', 'Reads json fast', 'json fast',
             'AA==', 1, '2024-01-02T00:00:00Z', '2024-01-02T00:00:00Z', '2024-01-02T00:00:00Z');",
    )
    .expect("the sample package inserts");
    search::reindex_package(&conn, 1).expect("the sample package indexes");
    conn
}

pub fn with<R>(f: impl FnOnce(&Connection) -> R) -> R {
    DB.with(|db| f(&db.borrow()))
}

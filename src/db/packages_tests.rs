//! The batch loader a search page uses reads the same packages as loading each id alone.
use super::{find_or_create, insert_version, load_summaries, load_summary, NewVersion};
use crate::domain::nupkg_builder::nuspec;
use crate::domain::nuspec::Nuspec;
use crate::domain::version_status::VersionStatus;
use rusqlite::Connection;

fn user(conn: &Connection, id: i64, name: &str) {
    conn.execute(
        "INSERT INTO users (id, username, username_lower, email, email_lower, created_at)
         VALUES (?1, ?2, lower(?2), ?2 || '@x.test', lower(?2) || '@x.test', 'now')",
        rusqlite::params![id, name],
    )
    .unwrap();
}

fn push(conn: &Connection, id: &str, version: &str, owner: i64) {
    let (package_key, _) = find_or_create(conn, id, Some(owner)).unwrap();
    let manifest = Nuspec::parse(nuspec(id, version, "<tags>a b</tags>").as_bytes()).unwrap();
    let v = NewVersion {
        package_key,
        nuspec: &manifest,
        hash_sha512: "hash",
        size: 1,
        status: VersionStatus::Available,
        pushed_by: Some(owner),
    };
    insert_version(conn, &v).unwrap();
}

#[test]
fn a_page_loads_in_the_asked_order_like_each_id_alone() {
    let mut conn = Connection::open_in_memory().unwrap();
    crate::db::migrate::run(&mut conn).unwrap();
    user(&conn, 1, "Zed");
    user(&conn, 2, "amy");
    for version in ["2.0.0", "10.0.0", "1.0.0-beta", "1.0.0"] {
        push(&conn, "Acme.One", version, 1);
    }
    push(&conn, "Acme.Two", "1.0.0", 2);
    conn.execute("INSERT INTO package_owners (package_key, user_id, added_at) VALUES (1, 2, 'now')", []).unwrap();

    let asked = ["acme.two", "missing", "acme.one"].map(str::to_owned);
    let page = load_summaries(&conn, &asked).unwrap();
    let ids: Vec<&str> = page.iter().map(|p| p.id_lower.as_str()).collect();
    assert_eq!(ids, ["acme.two", "acme.one"]);
    for package in &page {
        let alone = load_summary(&conn, &package.id_lower).unwrap().unwrap();
        assert_eq!(package.owners, alone.owners);
        assert_eq!(package.total_downloads, alone.total_downloads);
        let versions = |p: &crate::domain::records::PackageRecord| {
            p.versions.iter().map(|v| v.version_full.clone()).collect::<Vec<_>>()
        };
        assert_eq!(versions(package), versions(&alone));
    }
    assert_eq!(page[1].owners, ["amy", "Zed"]);
    assert_eq!(
        page[1].versions.iter().map(|v| v.version_full.as_str()).collect::<Vec<_>>(),
        ["1.0.0-beta", "1.0.0", "2.0.0", "10.0.0"]
    );
    assert!(load_summaries(&conn, &[]).unwrap().is_empty());
}

//! What the upstream guard reads (is an id local, is it under a reserved prefix), the reserved
//! prefixes themselves, and the marks a mirrored id and version carry.
use super::sql::Sql;
use super::DbError;
use crate::values;

/// Facts about an id that decide whether an upstream may supply it (`services::mirror::guard`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalFacts {
    /// A local (not mirrored) package row exists: any version, any state, hard-deleted ones too
    /// (a hard delete keeps the version row as a tombstone).
    pub local: bool,
    /// The id starts with a reserved prefix.
    pub reserved: bool,
}

/// One query, run only for ids the rendered documents do not hold as local.
pub fn local_facts(db: &dyn Sql, id_lower: &str) -> Result<LocalFacts, DbError> {
    // The cast tells PostgreSQL the parameter's type, which substr() alone does not.
    db.query_row(
        "SELECT EXISTS (SELECT 1 FROM packages WHERE id_lower = ?1 AND upstream IS NULL),
            EXISTS (SELECT 1 FROM reserved_prefixes
                    WHERE substr(CAST(?1 AS TEXT), 1, length(prefix_lower)) = prefix_lower)",
        values![id_lower],
        |r| Ok(LocalFacts { local: r.get(0)?, reserved: r.get(1)? }),
    )
}

/// The upstream a stored id was mirrored from, `None` for a local id (or an unknown one).
pub fn upstream_of(db: &dyn Sql, id_lower: &str) -> Result<Option<String>, DbError> {
    Ok(db
        .query_optional("SELECT upstream FROM packages WHERE id_lower = ?1", values![id_lower], |r| r.get(0))?
        .flatten())
}

/// Marks a new mirrored version (in the transaction that inserted it): the id's source, the
/// fetch time, and the listed state and publish date the upstream gave.
pub fn mark_mirrored(
    db: &dyn Sql,
    package_key: i64,
    version_key: i64,
    upstream: &str,
    listed: bool,
    published: Option<&str>,
) -> Result<(), DbError> {
    db.execute("UPDATE packages SET upstream = ?2, verified = 0 WHERE id = ?1", values![package_key, upstream])?;
    db.execute(
        "UPDATE package_versions SET fetched_at = ?2, listed = ?3, published_at = COALESCE(?4, published_at)
         WHERE id = ?1",
        values![version_key, db.now_text()?, listed, published],
    )?;
    Ok(())
}

/// An imported version takes the listed state and publish date its source feed gave it.
pub fn set_imported_state(
    db: &dyn Sql,
    id_lower: &str,
    version_lower: &str,
    listed: bool,
    published: Option<&str>,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE package_versions SET listed = ?3, published_at = COALESCE(?4, published_at)
         WHERE version_lower = ?2 AND package_key = (SELECT id FROM packages WHERE id_lower = ?1)",
        values![id_lower, version_lower, listed, published],
    )?;
    match super::packages::find(db, id_lower)? {
        Some(row) => super::packages::record_change(db, row.key),
        None => Ok(()),
    }
}

/// Where a mirrored version came from and when it was fetched (the portal's package page).
pub fn mirror_source(db: &dyn Sql, id_lower: &str, version_lower: &str) -> Result<Option<(String, String)>, DbError> {
    db.query_optional(
        "SELECT p.upstream, v.fetched_at FROM packages p JOIN package_versions v ON v.package_key = p.id
         WHERE p.id_lower = ?1 AND v.version_lower = ?2 AND p.upstream IS NOT NULL AND v.fetched_at IS NOT NULL",
        values![id_lower, version_lower],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservedPrefix {
    pub prefix: String,
    pub created_at: String,
}

/// Reserves a prefix (false when it already was) and marks the local ids under it verified.
pub fn reserve_prefix(db: &dyn Sql, prefix: &str) -> Result<bool, DbError> {
    let lower = prefix.to_ascii_lowercase();
    let added = db.execute(
        "INSERT INTO reserved_prefixes (prefix_lower, prefix, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (prefix_lower) DO NOTHING",
        values![lower, prefix, db.now_text()?],
    )?;
    refresh_verified(db)?;
    Ok(added == 1)
}

/// Removes a reservation (false when there was none); ids under no other prefix lose `verified`.
pub fn remove_prefix(db: &dyn Sql, prefix: &str) -> Result<bool, DbError> {
    let removed =
        db.execute("DELETE FROM reserved_prefixes WHERE prefix_lower = ?1", values![prefix.to_ascii_lowercase()])?;
    refresh_verified(db)?;
    Ok(removed == 1)
}

pub fn list_prefixes(db: &dyn Sql) -> Result<Vec<ReservedPrefix>, DbError> {
    db.query_map("SELECT prefix, created_at FROM reserved_prefixes ORDER BY prefix_lower", values![], |r| {
        Ok(ReservedPrefix { prefix: r.get(0)?, created_at: r.get(1)? })
    })
}

/// `verified` = a local id under a reserved prefix, as the 0 / 1 the flag column holds on both
/// engines (PostgreSQL does not store a boolean expression in a BIGINT column).
const VERIFIED_VALUE: &str = "CASE WHEN upstream IS NULL AND EXISTS (
     SELECT 1 FROM reserved_prefixes WHERE substr(packages.id_lower, 1, length(prefix_lower)) = prefix_lower)
     THEN 1 ELSE 0 END";

/// The one statement that decides `verified`, run after every change of the prefixes. Search
/// hits show the flag: the packages whose flag moved are noted for the search index and its entries.
pub fn refresh_verified(db: &dyn Sql) -> Result<(), DbError> {
    let changed: Vec<i64> = db.query_map(
        &format!("UPDATE packages SET verified = {VERIFIED_VALUE} WHERE verified <> {VERIFIED_VALUE} RETURNING id"),
        values![],
        |r| r.get(0),
    )?;
    for key in changed {
        super::search::note_change(db, key)?;
    }
    Ok(())
}

/// Sets `verified` on one new package row.
pub fn set_verified_if_reserved(db: &dyn Sql, package_key: i64) -> Result<(), DbError> {
    db.execute(&format!("UPDATE packages SET verified = {VERIFIED_VALUE} WHERE id = ?1"), values![package_key])?;
    Ok(())
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::package_fixtures::{push, user};
    use crate::db::sql::testing::{on_both_engines, TestDb};
    use crate::domain::version_status::VersionStatus;

    fn add(db: &mut TestDb, id: &str, upstream: Option<&str>) -> i64 {
        db.tx(|tx| {
            let (key, _) = super::super::packages::find_or_create(tx, id, None)?;
            tx.execute("UPDATE packages SET upstream = ?2 WHERE id = ?1", values![key, upstream])?;
            Ok(key)
        })
        .unwrap()
    }

    fn verified(db: &mut TestDb, id_lower: &str) -> bool {
        db.tx(|tx| tx.query_row("SELECT verified FROM packages WHERE id_lower = ?1", values![id_lower], |r| r.get(0)))
            .unwrap()
    }

    #[test]
    fn facts_tell_local_mirrored_and_reserved_ids_apart_on_both_engines() {
        on_both_engines(|db| {
            add(db, "Contoso.Core", None);
            add(db, "Newtonsoft.Json", Some("nuget.org"));
            let facts = |db: &mut TestDb, id: &'static str| db.tx(|tx| local_facts(tx, id)).unwrap();
            assert_eq!(facts(db, "contoso.core"), LocalFacts { local: true, reserved: false });
            assert_eq!(facts(db, "newtonsoft.json"), LocalFacts::default());
            assert_eq!(facts(db, "unknown"), LocalFacts::default());
            assert_eq!(db.tx(|tx| upstream_of(tx, "newtonsoft.json")).unwrap().as_deref(), Some("nuget.org"));
            assert_eq!(db.tx(|tx| upstream_of(tx, "contoso.core")).unwrap(), None);
            // `_` and `%` are plain characters of a prefix, not LIKE wildcards.
            assert!(db.tx(|tx| reserve_prefix(tx, "My_Co.")).unwrap());
            assert!(facts(db, "my_co.tools").reserved);
            assert!(!facts(db, "myxco.tools").reserved);
        });
    }

    #[test]
    fn reserving_marks_local_ids_verified_and_removing_unmarks_them_on_both_engines() {
        on_both_engines(|db| {
            add(db, "Contoso.Core", None);
            add(db, "Contoso.Mirrored", Some("up"));
            assert!(!verified(db, "contoso.core"));
            assert!(db.tx(|tx| reserve_prefix(tx, "Contoso.")).unwrap());
            assert!(
                !db.tx(|tx| reserve_prefix(tx, "contoso.")).unwrap(),
                "a second reservation of the same prefix changes nothing"
            );
            assert!(verified(db, "contoso.core"));
            assert!(!verified(db, "contoso.mirrored"), "a mirrored id is never verified");
            let key = add(db, "Contoso.New", None);
            db.tx(|tx| set_verified_if_reserved(tx, key)).unwrap();
            assert!(verified(db, "contoso.new"));
            let prefixes = db.tx(|tx| list_prefixes(tx)).unwrap();
            assert_eq!(prefixes.iter().map(|p| p.prefix.as_str()).collect::<Vec<_>>(), ["Contoso."]);
            assert!(db.tx(|tx| remove_prefix(tx, "CONTOSO.")).unwrap());
            assert!(!db.tx(|tx| remove_prefix(tx, "contoso.")).unwrap());
            assert!(!verified(db, "contoso.core"));
        });
    }

    #[test]
    fn a_mirrored_version_carries_its_source_on_both_engines() {
        on_both_engines(|db| {
            let owner = db.tx(|tx| Ok(user(tx, "alice"))).unwrap();
            let (package, version) =
                db.tx(|tx| push(tx, "Newtonsoft.Json", "13.0.1", "", VersionStatus::Available, owner)).unwrap();
            assert_eq!(db.tx(|tx| mirror_source(tx, "newtonsoft.json", "13.0.1")).unwrap(), None);
            db.tx(|tx| mark_mirrored(tx, package, version, "nuget.org", false, Some("2021-03-01T00:00:00Z"))).unwrap();
            let (upstream, fetched) = db.tx(|tx| mirror_source(tx, "newtonsoft.json", "13.0.1")).unwrap().unwrap();
            assert_eq!(upstream, "nuget.org");
            assert!(chrono::DateTime::parse_from_rfc3339(&fetched).is_ok(), "{fetched}");
            let state: (bool, String) = db
                .tx(|tx| {
                    tx.query_row(
                        "SELECT listed, published_at FROM package_versions WHERE id = ?1",
                        values![version],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                })
                .unwrap();
            assert_eq!(state, (false, "2021-03-01T00:00:00Z".to_owned()));
            assert!(!db.tx(|tx| local_facts(tx, "newtonsoft.json")).unwrap().local);
        });
    }
}

//! The recorded SHA-512 and size of files kept in an object store (`store::s3`).
use super::sql::Sql;
use super::DbError;
use crate::values;

/// Records (or replaces: extras such as a re-pushed `.snupkg` are rewritten) one object's hash.
pub fn record(db: &dyn Sql, key: &str, sha512: &str, size: u64) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO stored_objects (key, sha512, size) VALUES (?1, ?2, ?3)
         ON CONFLICT(key) DO UPDATE SET sha512 = excluded.sha512, size = excluded.size",
        values![key, sha512, i64::try_from(size).unwrap_or(i64::MAX)],
    )?;
    Ok(())
}

/// The recorded hash and size of `key`, if any.
pub fn find(db: &dyn Sql, key: &str) -> Result<Option<(String, u64)>, DbError> {
    db.query_optional("SELECT sha512, size FROM stored_objects WHERE key = ?1", values![key], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
}

/// Forgets `key`, or with `prefix_of_folder` every key below that folder (`id/version/`).
pub fn forget(db: &dyn Sql, key: &str, prefix_of_folder: bool) -> Result<(), DbError> {
    if prefix_of_folder {
        // Keys are lowercase ids and versions without wildcards; `substr` avoids LIKE's escaping.
        db.execute("DELETE FROM stored_objects WHERE substr(key, 1, length(?1)) = ?1", values![key])?;
    } else {
        db.execute("DELETE FROM stored_objects WHERE key = ?1", values![key])?;
    }
    Ok(())
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::on_both_engines;

    #[test]
    fn records_replaces_finds_and_forgets_on_both_engines() {
        on_both_engines(|db| {
            db.tx(|tx| record(tx, "acme/1.0.0/acme.1.0.0.nupkg", "aa", 10)).unwrap();
            db.tx(|tx| record(tx, "acme/1.0.0/acme.nuspec", "bb", 2)).unwrap();
            db.tx(|tx| record(tx, "acme/1.0.10/acme.nuspec", "cc", 3)).unwrap();
            // A rewritten extra replaces its row.
            db.tx(|tx| record(tx, "acme/1.0.0/acme.nuspec", "dd", u64::MAX)).unwrap();
            let find = |db: &mut crate::db::sql::testing::TestDb, key: &'static str| db.tx(|tx| find(tx, key)).unwrap();
            assert_eq!(find(db, "acme/1.0.0/acme.nuspec"), Some(("dd".to_owned(), u64::try_from(i64::MAX).unwrap())));
            assert_eq!(find(db, "acme/1.0.0/missing"), None);

            db.tx(|tx| forget(tx, "acme/1.0.0/acme.1.0.0.nupkg", false)).unwrap();
            assert_eq!(find(db, "acme/1.0.0/acme.1.0.0.nupkg"), None);
            assert!(find(db, "acme/1.0.0/acme.nuspec").is_some());
            // A folder prefix takes its own keys only, not those of 1.0.10.
            db.tx(|tx| forget(tx, "acme/1.0.0/", true)).unwrap();
            assert_eq!(find(db, "acme/1.0.0/acme.nuspec"), None);
            assert_eq!(find(db, "acme/1.0.10/acme.nuspec"), Some(("cc".to_owned(), 3)));
        });
    }
}

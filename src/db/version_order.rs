//! NuGet version order inside SQL. `nuget_version_key(version)` turns a version into text whose
//! byte order is NuGet's version order, so queries can `ORDER BY` versions and pick an id's
//! latest with a window function instead of loading every version into Rust.
//!
//! On SQLite the function is registered on every pooled connection (see `pool.rs`). It is used
//! only in queries, never in the schema (no index or trigger calls it), so the database stays
//! readable and writable by tools that do not know it. On PostgreSQL it is a PL/pgSQL function of
//! the schema (`migrations/postgres/0001_init.sql`) computing the same text; the `engines` test
//! below holds the two to equal keys.
use crate::domain::version::NuGetVersion;
use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;
use std::fmt::Write;

pub const FUNCTION: &str = "nuget_version_key";

/// Sortable text for a version: fixed-width numbers, then `-` and the encoded labels for a
/// prerelease or `~` for a release (a release sorts after its prereleases). Each label is `0` +
/// length + digits when numeric (numeric labels sort numerically and before alphanumeric ones) or
/// `1` + the lowercase label, and ends in `!`, which sorts below every label character, so a
/// label list that is a prefix of another sorts first.
pub fn sort_key(version: &NuGetVersion) -> String {
    let mut key = String::with_capacity(96);
    for part in [version.major(), version.minor(), version.patch(), version.revision()] {
        let _ = write!(key, "{part:020}");
    }
    if version.release_labels().is_empty() {
        key.push('~');
        return key;
    }
    key.push('-');
    for label in version.release_labels() {
        if label.bytes().all(|b| b.is_ascii_digit()) {
            let digits = label.trim_start_matches('0');
            let _ = write!(key, "0{:05}{digits}", digits.len());
        } else {
            key.push('1');
            key.push_str(&label.to_ascii_lowercase());
        }
        key.push('!');
    }
    key
}

/// The key of a stored version string; text that does not parse sorts by itself, first.
fn key_of_text(text: &str) -> String {
    NuGetVersion::parse(text).map_or_else(|_| format!(" {text}"), |v| sort_key(&v))
}

/// Registers `nuget_version_key(text)` on the connection.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(FUNCTION, 1, FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC, |ctx| {
        Ok(ctx.get::<Option<String>>(0)?.map(|text| key_of_text(&text)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_like_nuget_versions() {
        let texts = [
            "0.9.0",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-ALPHA.2",
            "1.0.0-alpha.10",
            "1.0.0-alpha-b",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0-1",
            "1.0.0-01a",
            "1.0.0",
            "1.0.0.1",
            "1.0.1-pre",
            "1.0.1",
            "1.2.0",
            "1.10.0",
            "2.0.0+build",
            "10.0.0",
            "1.0.0-a.b.c",
            "1.0.0-a.b",
            "1.0.0-a",
        ];
        let mut by_order: Vec<NuGetVersion> = texts.iter().map(|t| NuGetVersion::parse(t).unwrap()).collect();
        let mut by_key = by_order.clone();
        by_order.sort();
        by_key.sort_by_cached_key(sort_key);
        let show = |list: &[NuGetVersion]| list.iter().map(NuGetVersion::normalized).collect::<Vec<_>>();
        assert_eq!(show(&by_key), show(&by_order));
    }

    #[test]
    fn equal_versions_have_equal_keys() {
        let a = NuGetVersion::parse("1.0.0-Beta+abc").unwrap();
        let b = NuGetVersion::parse("1.0-beta").unwrap();
        assert_eq!(sort_key(&a), sort_key(&b));
    }

    #[test]
    fn the_sql_function_orders_rows() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        conn.execute_batch(
            "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('1.10.0'), ('1.2.0'), ('1.2.0-rc.1'), (NULL);",
        )
        .unwrap();
        let order: Vec<Option<String>> = conn
            .prepare("SELECT v FROM t ORDER BY nuget_version_key(v)")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(order, vec![None, Some("1.2.0-rc.1".into()), Some("1.2.0".into()), Some("1.10.0".into())]);
    }
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::on_both_engines;
    use crate::values;

    /// Versions as Galley stores them (`version_full`: normalized, with any build metadata).
    const STORED: &[&str] = &[
        "0.9.0",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-ALPHA.2",
        "1.0.0-alpha.10",
        "1.0.0-alpha-b",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0-1",
        "1.0.0-01a",
        "1.0.0",
        "1.0.0.1",
        "1.0.1-pre+sha.abc-1",
        "2.0.0+build",
        "10.0.0",
        "1.0.0-a.b.c",
        "18446744073709551615.0.0",
        "not a version",
    ];

    #[test]
    fn the_sql_function_gives_rusts_keys_and_order_on_both_engines() {
        on_both_engines(|db| {
            for text in STORED {
                let key: String =
                    db.tx(|tx| tx.query_row(&format!("SELECT {FUNCTION}(?1)"), values![*text], |r| r.get(0))).unwrap();
                assert_eq!(key, key_of_text(text), "the key of {text}");
            }
            let null: Option<String> =
                db.tx(|tx| tx.query_row(&format!("SELECT {FUNCTION}(NULL)"), values![], |r| r.get(0))).unwrap();
            assert_eq!(null, None);

            // ORDER BY compares the keys byte by byte on both engines, whatever the locale.
            db.tx(|tx| {
                tx.execute("CREATE TABLE t (v TEXT)", values![])?;
                for text in STORED {
                    tx.execute("INSERT INTO t (v) VALUES (?1)", values![*text])?;
                }
                Ok(())
            })
            .unwrap();
            let order: Vec<String> = db
                .tx(|tx| tx.query_map(&format!("SELECT v FROM t ORDER BY {FUNCTION}(v), v"), values![], |r| r.get(0)))
                .unwrap();
            let mut expected: Vec<&str> = STORED.to_vec();
            expected.sort_by_cached_key(|t| (key_of_text(t), (*t).to_owned()));
            assert_eq!(order, expected);
        });
    }
}

//! Forward-only migrations embedded from `migrations/`, tracked by `PRAGMA user_version`.
use rusqlite::Connection;
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "migrations/"]
#[include = "*.sql"]
struct Migrations;

/// Where a migration's PostgreSQL dialect lives when its SQL differs: `postgres/` + the same file
/// name (`migrations/postgres/0001_init.sql`). Without one, both engines run the shared file.
pub const POSTGRES_DIALECT: &str = "postgres/";

/// Migration files sorted by their number prefix (`0001_init.sql` is version 1).
fn migrations() -> Vec<(u32, String)> {
    migration_files().into_iter().map(|(n, name)| (n, text(&name))).collect()
}

/// The shared migration files by number, with their names.
fn migration_files() -> Vec<(u32, String)> {
    let mut list: Vec<(u32, String)> = Migrations::iter()
        .filter(|name| !name.contains('/'))
        .filter_map(|name| Some((name.split('_').next()?.parse().ok()?, name.into_owned())))
        .collect();
    list.sort_by_key(|(n, _)| *n);
    list
}

fn text(name: &str) -> String {
    Migrations::get(name).map(|file| String::from_utf8_lossy(&file.data).into_owned()).unwrap_or_default()
}

/// The same history for PostgreSQL: each number's dialect file where there is one.
pub fn postgres_migrations() -> Vec<(u32, String)> {
    migration_files()
        .into_iter()
        .map(|(n, name)| {
            let dialect = format!("{POSTGRES_DIALECT}{name}");
            (n, if Migrations::get(&dialect).is_some() { text(&dialect) } else { text(&name) })
        })
        .collect()
}

/// Dialect files whose name matches no shared migration (a typo would otherwise be skipped).
pub fn stray_dialect_files() -> Vec<String> {
    let shared: Vec<String> = migration_files().into_iter().map(|(_, name)| name).collect();
    Migrations::iter()
        .filter_map(|name| name.strip_prefix(POSTGRES_DIALECT).map(str::to_owned))
        .filter(|name| !shared.contains(name))
        .collect()
}

pub fn latest_version() -> u32 {
    migrations().last().map_or(0, |(n, _)| *n)
}

pub fn run(conn: &mut Connection) -> Result<(), super::DbError> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let latest = latest_version();
    if current > latest {
        return Err(super::DbError::TooNew { found: current, known: latest });
    }
    for (number, sql) in migrations().into_iter().filter(|(n, _)| *n > current) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(&sql)?;
        tx.pragma_update(None, "user_version", number)?;
        tx.commit()?;
        tracing::info!(version = number, "applied database migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_a_fresh_database_and_is_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        run(&mut conn).unwrap();
        let v: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, latest_version());
    }

    /// Two branches that each add "the next" migration would otherwise both ship a 0006: a
    /// database already at 6 would then never run the second one.
    #[test]
    fn migration_numbers_are_unique_and_contiguous() {
        let numbers: Vec<u32> = migrations().iter().map(|(n, _)| *n).collect();
        let expected: Vec<u32> = (1..=u32::try_from(numbers.len()).unwrap()).collect();
        assert_eq!(numbers, expected, "migrations/ must be numbered 0001, 0002, … without gaps or repeats");
    }

    #[test]
    fn every_postgres_dialect_file_names_a_shared_migration() {
        assert_eq!(stray_dialect_files(), Vec::<String>::new());
        assert_eq!(postgres_migrations().len(), migrations().len());
    }

    /// Version 4 moved the visibility bits out of the FTS table: an index built by version 3 keeps
    /// answering the same queries.
    #[test]
    fn moving_search_visibility_keeps_existing_index_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        for (number, sql) in migrations().into_iter().filter(|(n, _)| *n <= 3) {
            conn.execute_batch(&sql).unwrap();
            conn.pragma_update(None, "user_version", number).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO packages (id, package_id, id_lower, created_at) VALUES (7, 'Acme.Json', 'acme.json', 'now');
             INSERT INTO package_search (rowid, package_id, id_parts, title, summary, description, tags, authors, owners, visibility)
             VALUES (7, 'Acme.Json', 'Acme Json', NULL, NULL, 'A serializer', 'json', 'Acme', 'alice', 15);",
        )
        .unwrap();
        run(&mut conn).unwrap();
        let visibility: i64 =
            conn.query_row("SELECT search_visibility FROM packages WHERE id = 7", [], |r| r.get(0)).unwrap();
        assert_eq!(visibility, 15);
        let found: i64 = conn
            .query_row("SELECT rowid FROM package_search WHERE package_search MATCH 'serializer'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(found, 7);
        assert_eq!(crate::db::search::generation(&conn).unwrap(), 0);
    }

    #[test]
    fn refuses_a_newer_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
        let err = run(&mut conn).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the database is at schema version 999 but this galley knows only up to {}; use a newer galley",
                latest_version()
            )
        );
    }
}

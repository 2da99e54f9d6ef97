//! The migration history on PostgreSQL: the same numbers as SQLite's (`migrate.rs`), each
//! number's `migrations/postgres/` dialect where its SQL differs. PostgreSQL has no
//! `user_version`, so the applied version is the one row of `galley_schema`. Several nodes may
//! start at once: each migration runs in a transaction holding an advisory lock, and re-reads the
//! version under it, so exactly one node applies it.
use super::migrate::{latest_version, postgres_migrations};
use super::DbError;

/// The advisory lock key migrations hold (any constant both sides agree on: "GALLEYMG").
const MIGRATION_LOCK: i64 = 0x4741_4c4c_4559_4d47;

fn version(tx: &mut postgres::Transaction<'_>) -> Result<u32, DbError> {
    // Without the level, every start logs PostgreSQL's "already exists, skipping" once a migration.
    tx.batch_execute(
        "SET LOCAL client_min_messages = warning;
         CREATE TABLE IF NOT EXISTS galley_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)",
    )?;
    let found: Option<i32> = tx.query_opt("SELECT version FROM galley_schema WHERE id = 1", &[])?.map(|r| r.get(0));
    Ok(found.map_or(0, |v| u32::try_from(v).unwrap_or(0)))
}

pub fn run(client: &mut postgres::Client) -> Result<(), DbError> {
    let latest = latest_version();
    for (number, sql) in postgres_migrations() {
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        let current = version(&mut tx)?;
        if current > latest {
            return Err(DbError::TooNew { found: current, known: latest });
        }
        if current >= number {
            continue;
        }
        tx.batch_execute(&sql)?;
        let number = i32::try_from(number).unwrap_or(i32::MAX);
        tx.execute(
            "INSERT INTO galley_schema (id, version) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET version = excluded.version",
            &[&number],
        )?;
        tx.commit()?;
        tracing::info!(version = number, "applied database migration (PostgreSQL)");
    }
    Ok(())
}

/// The applied version (0 on an empty database).
pub fn current_version(client: &mut postgres::Client) -> Result<u32, DbError> {
    let mut tx = client.transaction()?;
    let v = version(&mut tx)?;
    tx.commit()?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sql::testing::{postgres_url, ScratchDatabase};
    use std::collections::BTreeMap;

    /// Columns only PostgreSQL has: SQLite's implicit rowids, named as columns there, and the
    /// tsvector that stands in for FTS5's index.
    const POSTGRES_ONLY: &[(&str, &str)] =
        &[("package_search", "rowid"), ("package_search", "document"), ("package_dependencies", "rowid")];

    type Schema = BTreeMap<String, Vec<(String, String)>>;

    /// Table → (column, type) in SQLite's words; FTS5 columns are untyped text.
    fn sqlite_schema() -> Schema {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::db::migrate::run(&mut conn).unwrap();
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'package_search_%'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        tables
            .into_iter()
            .map(|table| {
                let mut columns: Vec<(String, String)> = conn
                    .prepare("SELECT name, type FROM pragma_table_info(?1)")
                    .unwrap()
                    .query_map([&table], |r| {
                        let ty: String = r.get(1)?;
                        Ok((r.get(0)?, if ty.is_empty() { "TEXT".to_owned() } else { ty }))
                    })
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                columns.sort();
                (table, columns)
            })
            .collect()
    }

    /// The same for PostgreSQL, its types named as SQLite's (BIGINT is INTEGER, BYTEA is BLOB).
    fn postgres_schema(client: &mut postgres::Client) -> Schema {
        let mut schema = Schema::new();
        let rows = client
            .query(
                "SELECT table_name::TEXT, column_name::TEXT, data_type::TEXT FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name <> 'galley_schema'",
                &[],
            )
            .unwrap();
        for row in rows {
            let (table, column, ty): (String, String, String) = (row.get(0), row.get(1), row.get(2));
            if POSTGRES_ONLY.contains(&(table.as_str(), column.as_str())) {
                continue;
            }
            let ty = match ty.as_str() {
                "bigint" => "INTEGER",
                "text" => "TEXT",
                "bytea" => "BLOB",
                other => other,
            };
            schema.entry(table).or_default().push((column, ty.to_owned()));
        }
        for columns in schema.values_mut() {
            columns.sort();
        }
        schema
    }

    #[test]
    fn both_schemas_have_the_same_tables_columns_and_types() {
        let Some(url) = postgres_url() else { return };
        let database = ScratchDatabase::create(&url);
        let mut client = database.connect();
        run(&mut client).unwrap();
        let (sqlite, postgres) = (sqlite_schema(), postgres_schema(&mut client));
        assert_eq!(sqlite.keys().collect::<Vec<_>>(), postgres.keys().collect::<Vec<_>>());
        for (table, columns) in &sqlite {
            assert_eq!(Some(columns), postgres.get(table), "columns of {table}");
        }
        // The PostgreSQL-only columns exist where they are declared.
        let document: i64 = client
            .query_one(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'package_search' AND column_name IN ('rowid', 'document')",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(document, 2);
    }

    #[test]
    fn migrates_once_and_refuses_a_newer_database() {
        let Some(url) = postgres_url() else { return };
        let database = ScratchDatabase::create(&url);
        let mut client = database.connect();
        run(&mut client).unwrap();
        run(&mut client).unwrap();
        assert_eq!(current_version(&mut client).unwrap(), latest_version());
        client.execute("UPDATE galley_schema SET version = 999", &[]).unwrap();
        let err = run(&mut client).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the database is at schema version 999 but this galley knows only up to {}; use a newer galley",
                latest_version()
            )
        );
    }

    /// The tsvector index answers what FTS5 answers for a word and a prefix.
    #[test]
    fn search_rows_are_found_by_word_and_prefix() {
        let Some(url) = postgres_url() else { return };
        let database = ScratchDatabase::create(&url);
        let mut client = database.connect();
        run(&mut client).unwrap();
        client
            .execute(
                "INSERT INTO package_search (rowid, package_id, id_parts, description, tags) VALUES (7, 'Acme.Json', 'Acme Json', 'A fast serializer', 'json')",
                &[],
            )
            .unwrap();
        for query in ["serializer", "acme & json", "seria:*"] {
            let found: Vec<i64> = client
                .query("SELECT rowid FROM package_search WHERE document @@ to_tsquery('simple', $1)", &[&query])
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
            assert_eq!(found, [7], "{query}");
        }
    }
}

//! Which tables `galley migrate --to-database` copies, with which columns, keys and order, read
//! from the two schemas themselves (SQLite's `sqlite_master` and `pragma_table_info`,
//! PostgreSQL's `information_schema`) so that a new migration needs no change here.
//!
//! Skipped: the shadow tables of SQLite's FTS5 index (`package_search_data`, `_idx`, `_content`,
//! `_docsize`, `_config`): PostgreSQL has no table for them, its search being a generated
//! `tsvector` column of `package_search`, which itself is copied (rowid and text columns; the
//! generated column fills itself). Generated columns are never copied.
use super::MigrateError;
use crate::db::DbError;
use std::collections::{BTreeMap, BTreeSet};

/// A column's PostgreSQL type, which decides how SQLite's value is converted (`convert.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Integer,
    Real,
    Bool,
    Text,
    Blob,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    /// Copied columns; `rowid` is SQLite's implicit rowid where PostgreSQL names it as a column.
    pub columns: Vec<Column>,
    /// Positions in `columns` of the key that orders the copy and the checksum: the primary
    /// key, the rowid for a table without one, or every column for a table with neither.
    pub key: Vec<usize>,
    /// No key tells its rows apart (rows may repeat): the table is copied in one transaction.
    pub whole: bool,
    /// Holds an identity column: inserts name their ids with `OVERRIDING SYSTEM VALUE`.
    pub identity: bool,
    /// Columns whose sequence is set past the highest copied id afterwards.
    pub sequences: Vec<String>,
    /// Rows the migrations themselves insert (the singleton counters): a fresh destination
    /// already holds them, so they are replaced rather than counted as another install's data.
    pub seeded: bool,
}

impl Table {
    pub fn column_list(&self) -> String {
        self.columns.iter().map(|c| quote(&c.name)).collect::<Vec<_>>().join(", ")
    }

    /// `ORDER BY` of the key as SQLite orders it: on PostgreSQL text compares byte by byte
    /// (`COLLATE "C"`, SQLite's BINARY, whatever the database's locale) and NULL sorts first.
    pub fn order_by(&self, postgres: bool, descending: bool) -> String {
        let direction = match (postgres, descending) {
            (false, false) => "",
            (false, true) => " DESC",
            (true, false) => " NULLS FIRST",
            (true, true) => " DESC NULLS LAST",
        };
        self.key
            .iter()
            .map(|&i| {
                let c = &self.columns[i];
                let collate = if postgres && c.ty == ColumnType::Text { " COLLATE \"C\"" } else { "" };
                format!("{}{collate}{direction}", quote(&c.name))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn key_list(&self) -> String {
        self.key.iter().map(|&i| quote(&self.columns[i].name)).collect::<Vec<_>>().join(", ")
    }
}

pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

struct PgColumn {
    ty: String,
    generated: bool,
    identity: bool,
}

fn column_type(table: &str, column: &str, ty: &str) -> Result<ColumnType, MigrateError> {
    Ok(match ty {
        "bigint" | "integer" | "smallint" => ColumnType::Integer,
        "double precision" | "real" => ColumnType::Real,
        "boolean" => ColumnType::Bool,
        "text" | "character varying" | "character" => ColumnType::Text,
        "bytea" => ColumnType::Blob,
        other => {
            return Err(MigrateError::Failed(format!(
                "{table}.{column} is of PostgreSQL type {other}, which the copy does not convert to"
            )))
        }
    })
}

fn postgres_columns(client: &mut postgres::Client) -> Result<BTreeMap<String, BTreeMap<String, PgColumn>>, DbError> {
    let mut tables: BTreeMap<String, BTreeMap<String, PgColumn>> = BTreeMap::new();
    for row in client.query(
        "SELECT table_name::TEXT, column_name::TEXT, data_type::TEXT, is_generated::TEXT, is_identity::TEXT,
                coalesce(column_default, '')::TEXT
           FROM information_schema.columns WHERE table_schema = current_schema()",
        &[],
    )? {
        let default: String = row.get(5);
        let column = PgColumn {
            ty: row.get(2),
            generated: row.get::<_, String>(3) == "ALWAYS",
            identity: row.get::<_, String>(4) == "YES" || default.starts_with("nextval("),
        };
        tables.entry(row.get(0)).or_default().insert(row.get(1), column);
    }
    Ok(tables)
}

/// SQLite's tables: name → whether it is a virtual table.
fn sqlite_tables(conn: &rusqlite::Connection) -> Result<Vec<(String, bool)>, DbError> {
    let mut stmt = conn.prepare(
        "SELECT name, coalesce(sql, '') LIKE 'CREATE VIRTUAL TABLE%' FROM sqlite_master
          WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Tables the migrations fill on their own, found by running them on an empty database.
pub fn seeded_tables() -> Result<BTreeSet<String>, DbError> {
    let mut conn = rusqlite::Connection::open_in_memory()?;
    // Silently: its "applied database migration" lines would read as changes to the install.
    tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), || {
        crate::db::migrate::run(&mut conn)
    })?;
    let mut seeded = BTreeSet::new();
    for (name, _) in sqlite_tables(&conn)? {
        let rows: i64 = conn.query_row(&format!("SELECT count(*) FROM {}", quote(&name)), [], |r| r.get(0))?;
        if rows > 0 {
            seeded.insert(name);
        }
    }
    Ok(seeded)
}

/// SQLite's columns of `table` with their primary-key position (0: not in the key).
fn sqlite_columns(conn: &rusqlite::Connection, table: &str) -> Result<Vec<(String, i64)>, DbError> {
    let mut stmt = conn.prepare("SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid")?;
    let rows = stmt.query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    Ok(rows)
}

fn parents(conn: &rusqlite::Connection, table: &str) -> Result<BTreeSet<String>, DbError> {
    let mut stmt = conn.prepare("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)")?;
    let rows = stmt.query_map([table], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The tables to copy, parents before the tables whose foreign keys name them.
pub fn tables(
    sqlite: &rusqlite::Connection,
    pg: &mut postgres::Client,
    seeded: &BTreeSet<String>,
) -> Result<Vec<Table>, MigrateError> {
    let on_postgres = postgres_columns(pg)?;
    let all = sqlite_tables(sqlite)?;
    let virtual_tables: Vec<&String> = all.iter().filter(|(_, v)| *v).map(|(n, _)| n).collect();
    let mut planned = BTreeMap::new();
    for (name, _) in &all {
        let Some(pg_columns) = on_postgres.get(name) else {
            if virtual_tables.iter().any(|v| name.starts_with(&format!("{v}_"))) {
                continue; // an FTS5 shadow table (see the module's comment)
            }
            return Err(MigrateError::Failed(format!("the PostgreSQL schema has no table {name}")));
        };
        planned.insert(name.clone(), table(sqlite, name, pg_columns, seeded.contains(name))?);
    }
    order(sqlite, planned)
}

fn table(
    sqlite: &rusqlite::Connection,
    name: &str,
    pg_columns: &BTreeMap<String, PgColumn>,
    seeded: bool,
) -> Result<Table, MigrateError> {
    let sqlite_columns = sqlite_columns(sqlite, name)?;
    let mut columns = Vec::new();
    let mut keyed: Vec<(i64, usize)> = Vec::new();
    // SQLite's implicit rowid, named as a column on PostgreSQL (package_dependencies,
    // package_search): copied, and the key when the table declares none.
    if pg_columns.contains_key("rowid") && !sqlite_columns.iter().any(|(c, _)| c == "rowid") {
        columns.push(Column { name: "rowid".into(), ty: ColumnType::Integer });
    }
    for (column, pk) in &sqlite_columns {
        let pg = pg_columns
            .get(column)
            .ok_or_else(|| MigrateError::Failed(format!("the PostgreSQL table {name} has no column {column}")))?;
        if pg.generated {
            continue;
        }
        if *pk > 0 {
            keyed.push((*pk, columns.len()));
        }
        columns.push(Column { name: column.clone(), ty: column_type(name, column, &pg.ty)? });
    }
    keyed.sort_unstable();
    let mut key: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    let mut whole = false;
    if key.is_empty() {
        if columns.first().map(|c| c.name.as_str()) == Some("rowid") {
            key.push(0);
        } else {
            // login_failures: short-lived rows that may repeat; ordered by all their columns.
            whole = true;
            key = (0..columns.len()).collect();
        }
    }
    let mut sequences = Vec::new();
    for column in &columns {
        if pg_columns.get(&column.name).is_some_and(|c| c.identity) {
            sequences.push(column.name.clone());
        }
    }
    Ok(Table { name: name.to_owned(), identity: !sequences.is_empty(), columns, key, whole, sequences, seeded })
}

/// Orders the tables so that every table comes after the tables its foreign keys reference
/// (names break ties, so the order is the same every run).
fn order(sqlite: &rusqlite::Connection, mut planned: BTreeMap<String, Table>) -> Result<Vec<Table>, MigrateError> {
    let mut waiting: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for name in planned.keys() {
        let mut needs = parents(sqlite, name)?;
        needs.remove(name);
        needs.retain(|p| planned.contains_key(p));
        waiting.insert(name.clone(), needs);
    }
    let mut ordered = Vec::new();
    while !waiting.is_empty() {
        let ready: Vec<String> = waiting.iter().filter(|(_, n)| n.is_empty()).map(|(t, _)| t.clone()).collect();
        if ready.is_empty() {
            let stuck: Vec<&String> = waiting.keys().collect();
            return Err(MigrateError::Failed(format!("the foreign keys of {stuck:?} form a cycle")));
        }
        for name in ready {
            waiting.remove(&name);
            for needs in waiting.values_mut() {
                needs.remove(&name);
            }
            if let Some(table) = planned.remove(&name) {
                ordered.push(table);
            }
        }
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sql::testing::{postgres_url, ScratchDatabase};

    /// The plan read from this build's two schemas: every SQLite table but FTS5's shadow tables,
    /// parents first, the keys each table is ordered by, the singleton counters as seeded.
    #[test]
    fn plans_every_table_parents_first_from_both_schemas() {
        let Some(url) = postgres_url() else { return };
        let database = ScratchDatabase::create(&url);
        let mut pg = database.connect();
        crate::db::migrate_postgres::run(&mut pg).unwrap();
        let mut sqlite = rusqlite::Connection::open_in_memory().unwrap();
        crate::db::migrate::run(&mut sqlite).unwrap();
        let seeded = seeded_tables().unwrap();
        let plan = tables(&sqlite, &mut pg, &seeded).unwrap();
        let position = |name: &str| plan.iter().position(|t| t.name == name).unwrap_or_else(|| panic!("{name}"));
        let names: Vec<&str> = plan.iter().map(|t| t.name.as_str()).collect();
        assert!(!names.iter().any(|n| n.starts_with("package_search_")), "{names:?}");
        for table in &plan {
            for parent in parents(&sqlite, &table.name).unwrap() {
                if parent != table.name {
                    assert!(position(&parent) < position(&table.name), "{parent} before {}", table.name);
                }
            }
        }
        let table = |name: &str| &plan[position(name)];
        let key = |name: &str| table(name).key.iter().map(|&i| table(name).columns[i].name.clone()).collect::<Vec<_>>();
        assert_eq!(key("users"), ["id"]);
        assert_eq!(key("package_owners"), ["package_key", "user_id"]);
        assert_eq!(key("package_search"), ["rowid"]);
        assert_eq!(key("package_dependencies"), ["rowid"]);
        assert!(table("login_failures").whole);
        assert!(!table("package_search").columns.iter().any(|c| c.name == "document"), "generated: not copied");
        assert!(table("package_dependencies").identity && table("users").identity && !table("package_search").identity);
        assert_eq!(
            seeded.iter().filter(|t| !t.starts_with("package_search_")).map(String::as_str).collect::<Vec<_>>(),
            ["advisories_changed", "credential_epoch", "search_generation"]
        );
    }
}

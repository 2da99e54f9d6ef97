//! The copy itself: each table in key order, one PostgreSQL transaction per batch of rows.
//!
//! Resuming: every batch is the next rows in key order and commits whole, so the destination
//! always holds exactly a prefix of each source table. Its highest key is therefore the
//! progress record, read back at the start of each table, and a killed run continues after it.
//! That was chosen over `ON CONFLICT DO NOTHING` with a separate progress table because there
//! is nothing to keep in step (the rows are their own record), no batch is read twice, and a
//! key that already exists is never silently skipped: it can only mean other data, and fails.
use super::convert::to_column;
use super::plan::{quote, Table};
use super::MigrateError;
use crate::db::sql::{sqlite_value, Value};
use postgres::types::ToSql;

/// PostgreSQL takes at most 65535 parameters per statement.
const MAX_PARAMETERS: usize = 65_535;

/// How a run reports its progress and how far it goes.
pub struct Batches<'a> {
    /// Rows per transaction.
    pub rows: usize,
    /// The test hook: stop (as a killed run would) once this many batches committed.
    pub stop_after: Option<u64>,
    pub committed: u64,
    pub on_rows: &'a dyn Fn(u64),
}

/// The highest key the destination holds for `table`, as values to continue after.
fn resume_after(pg: &mut postgres::Client, table: &Table) -> Result<Option<Vec<Value>>, MigrateError> {
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {} LIMIT 1",
        table.key_list(),
        quote(&table.name),
        table.order_by(true, true)
    );
    let row = pg.query_opt(&sql, &[])?;
    Ok(row.map(|r| (0..r.len()).map(|i| r.get::<_, Value>(i)).collect()))
}

fn select_batch(table: &Table, after: bool, limit: usize) -> String {
    let keys = table.key_list();
    let placeholders: Vec<String> = (1..=table.key.len()).map(|i| format!("?{i}")).collect();
    let filter = if after { format!("WHERE ({keys}) > ({})", placeholders.join(", ")) } else { String::new() };
    format!(
        "SELECT {} FROM {} {filter} ORDER BY {} LIMIT {limit}",
        table.column_list(),
        quote(&table.name),
        table.order_by(false, false)
    )
}

fn insert(table: &Table, rows: usize) -> String {
    let width = table.columns.len();
    let tuples: Vec<String> = (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", row.join(", "))
        })
        .collect();
    let overriding = if table.identity { " OVERRIDING SYSTEM VALUE" } else { "" };
    format!("INSERT INTO {} ({}){overriding} VALUES {}", quote(&table.name), table.column_list(), tuples.join(", "))
}

/// Reads the next batch from SQLite, converted to the destination's types.
fn read_batch(
    sqlite: &rusqlite::Connection,
    table: &Table,
    after: Option<&[Value]>,
    limit: usize,
) -> Result<Vec<Vec<Value>>, MigrateError> {
    let mut stmt = sqlite.prepare_cached(&select_batch(table, after.is_some(), limit))?;
    let mut rows = stmt.query(rusqlite::params_from_iter(after.unwrap_or(&[])))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(convert_row(table, row)?);
    }
    Ok(out)
}

/// One SQLite row in the destination's types; a value that does not fit names where it is.
pub fn convert_row(table: &Table, row: &rusqlite::Row<'_>) -> Result<Vec<Value>, MigrateError> {
    let mut values = Vec::with_capacity(table.columns.len());
    for (i, column) in table.columns.iter().enumerate() {
        let value = sqlite_value(row.get_ref(i)?)?;
        values.push(
            to_column(value, column.ty)
                .map_err(|why| MigrateError::Failed(format!("{}.{}: {why}", table.name, column.name)))?,
        );
    }
    Ok(values)
}

/// Copies what the destination does not hold yet of `table`; false when the test hook stopped it.
pub fn table(
    sqlite: &rusqlite::Connection,
    pg: &mut postgres::Client,
    table: &Table,
    batches: &mut Batches<'_>,
) -> Result<bool, MigrateError> {
    let limit = batches.rows.clamp(1, MAX_PARAMETERS / table.columns.len().max(1));
    if table.whole {
        return whole(sqlite, pg, table, batches, limit);
    }
    let mut after = resume_after(pg, table)?;
    loop {
        let rows = read_batch(sqlite, table, after.as_deref(), limit)?;
        let Some(last) = rows.last() else { return Ok(true) };
        let next: Vec<Value> = table.key.iter().map(|&i| last[i].clone()).collect();
        let params: Vec<&(dyn ToSql + Sync)> = rows.iter().flatten().map(|v| v as &(dyn ToSql + Sync)).collect();
        let mut tx = pg.transaction()?;
        tx.execute(&insert(table, rows.len()), &params)?;
        tx.commit()?;
        (batches.on_rows)(rows.len() as u64);
        batches.committed += 1;
        if batches.stop_after.is_some_and(|n| batches.committed >= n) {
            return Ok(false);
        }
        after = Some(next);
    }
}

/// A table without a key (rows may repeat, so there is no "after" to resume from) lands in one
/// transaction: any row in the destination means it is all there.
fn whole(
    sqlite: &rusqlite::Connection,
    pg: &mut postgres::Client,
    table: &Table,
    batches: &mut Batches<'_>,
    limit: usize,
) -> Result<bool, MigrateError> {
    if pg.query_opt(&format!("SELECT 1 FROM {} LIMIT 1", quote(&table.name)), &[])?.is_some() {
        return Ok(true);
    }
    let mut stmt = sqlite.prepare(&format!("SELECT {} FROM {}", table.column_list(), quote(&table.name)))?;
    let mut rows = stmt.query([])?;
    let mut all = Vec::new();
    while let Some(row) = rows.next()? {
        all.push(convert_row(table, row)?);
    }
    if all.is_empty() {
        return Ok(true);
    }
    let mut tx = pg.transaction()?;
    for chunk in all.chunks(limit) {
        let params: Vec<&(dyn ToSql + Sync)> = chunk.iter().flatten().map(|v| v as &(dyn ToSql + Sync)).collect();
        tx.execute(&insert(table, chunk.len()), &params)?;
    }
    tx.commit()?;
    (batches.on_rows)(all.len() as u64);
    batches.committed += 1;
    Ok(batches.stop_after.is_none_or(|n| batches.committed < n))
}

/// Sets each identity column's sequence past the highest copied id, so the next row PostgreSQL
/// numbers does not collide with a copied one.
pub fn advance_sequences(pg: &mut postgres::Client, table: &Table) -> Result<(), MigrateError> {
    for column in &table.sequences {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max({c}), 1), max({c}) IS NOT NULL) FROM {t}",
            c = quote(column),
            t = quote(&table.name)
        );
        pg.query_one(&sql, &[&table.name, column])?;
    }
    Ok(())
}

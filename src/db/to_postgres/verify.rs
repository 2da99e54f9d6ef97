//! After the copy: every table's row count and a SHA-512 over the canonical encoding of every
//! row in key order (`convert::encode`), computed on both sides. SQLite's rows are converted to
//! the destination's types first, so equal digests mean PostgreSQL holds exactly what SQLite
//! holds, as PostgreSQL stores it.
use super::convert::encode;
use super::copy::convert_row;
use super::plan::{quote, Table};
use super::MigrateError;
use crate::db::sql::Value;
use postgres::fallible_iterator::FallibleIterator;
use sha2::{Digest, Sha512};

/// One side's count and digest of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest512 {
    pub rows: u64,
    pub sha512: String,
}

fn select_all(table: &Table, postgres: bool) -> String {
    format!("SELECT {} FROM {} ORDER BY {}", table.column_list(), quote(&table.name), table.order_by(postgres, false))
}

fn finish(rows: u64, hasher: Sha512) -> Digest512 {
    Digest512 { rows, sha512: hex::encode(hasher.finalize()) }
}

fn add_row(hasher: &mut Sha512, values: &[Value], buffer: &mut Vec<u8>) {
    buffer.clear();
    for v in values {
        encode(v, buffer);
    }
    hasher.update((buffer.len() as u64).to_be_bytes());
    hasher.update(&buffer);
}

pub fn sqlite_side(sqlite: &rusqlite::Connection, table: &Table) -> Result<Digest512, MigrateError> {
    let mut stmt = sqlite.prepare(&select_all(table, false))?;
    let mut rows = stmt.query([])?;
    let (mut hasher, mut buffer, mut count) = (Sha512::new(), Vec::new(), 0);
    while let Some(row) = rows.next()? {
        add_row(&mut hasher, &convert_row(table, row)?, &mut buffer);
        count += 1;
    }
    Ok(finish(count, hasher))
}

/// Streams the rows (`query_raw`), so a large table is never held in memory.
pub fn postgres_side(pg: &mut postgres::Client, table: &Table) -> Result<Digest512, MigrateError> {
    let none: [&str; 0] = [];
    let mut rows = pg.query_raw(&select_all(table, true), none)?;
    let (mut hasher, mut buffer, mut count) = (Sha512::new(), Vec::new(), 0);
    let mut values = Vec::with_capacity(table.columns.len());
    while let Some(row) = rows.next()? {
        values.clear();
        for i in 0..row.len() {
            values.push(row.try_get::<_, Value>(i)?);
        }
        add_row(&mut hasher, &values, &mut buffer);
        count += 1;
    }
    Ok(finish(count, hasher))
}

//! `galley migrate --to-database URL`: copies a single-node install's SQLite database into
//! PostgreSQL (issue #21; docs/scale-out.md "Moving an install"). The destination's schema is
//! `db::migrate_postgres`'s; the tables, columns and their order come from the two schemas
//! (`plan.rs`), the rows in key-ordered batches of one transaction each (`copy.rs`, which says
//! how a killed run resumes), then both sides are counted and hashed (`verify.rs`).
//!
//! The destination records which file it is a copy of (`galley_migration`, one row), so that a
//! second run continues or re-verifies its own copy and never mixes two installs.
mod convert;
mod copy;
mod plan;
mod verify;

pub use verify::Digest512;

use super::DbError;
use std::cell::Cell;
use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// Nothing was written: the source, the destination or the URL does not qualify.
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Db(#[from] DbError),
    /// The test hook (`Options::stop_after_batches`) ended the run, as a kill would.
    #[error("stopped after {0} batches as asked; run the same command again to continue")]
    Stopped(u64),
    /// The copy finished but the two sides differ; the report says where.
    #[error("the copy does not match the source in {} of {} tables", .0.mismatches(), .0.tables.len())]
    Mismatch(Report),
}

impl From<rusqlite::Error> for MigrateError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Db(e.into())
    }
}

impl From<postgres::Error> for MigrateError {
    fn from(e: postgres::Error) -> Self {
        Self::Db(e.into())
    }
}

pub struct Options {
    /// Rows per transaction.
    pub batch_rows: usize,
    /// Stop once this many batches committed (tests: an interrupted run).
    pub stop_after_batches: Option<u64>,
}

/// What a run tells the person watching it.
pub trait Progress {
    /// A table starts: its rows in the source, and how many the destination already holds.
    fn table(&self, name: &str, rows: u64, done: u64);
    fn copied(&self, rows: u64);
    fn verifying(&self, tables: usize);
}

#[derive(Debug, Clone)]
pub struct TableReport {
    pub name: String,
    /// Rows copied by this run (0 when an earlier run had copied them).
    pub copied: u64,
    pub source: Digest512,
    pub destination: Digest512,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub tables: Vec<TableReport>,
}

impl Report {
    pub fn mismatches(&self) -> usize {
        self.tables.iter().filter(|t| t.source != t.destination).count()
    }
}

/// One line per table: rows on each side, copied by this run, the digest, and the verdict.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<24} {:>10} {:>10} {:>10}  {:<16}  result", "table", "sqlite", "postgres", "copied", "sha512")?;
        for t in &self.tables {
            let verdict = if t.source == t.destination { "ok" } else { "MISMATCH" };
            writeln!(
                f,
                "{:<24} {:>10} {:>10} {:>10}  {:<16}  {verdict}",
                t.name,
                t.source.rows,
                t.destination.rows,
                t.copied,
                &t.source.sha512[..16]
            )?;
        }
        Ok(())
    }
}

/// Refuses a URL that is not PostgreSQL's, naming only its scheme (the rest may hold a password).
fn destination_config(url: &str) -> Result<postgres::Config, MigrateError> {
    let refused = || {
        let scheme = url.split_once("://").map_or("", |(s, _)| s);
        let shown = if scheme.is_empty() { "the URL given".to_owned() } else { format!("a {scheme}:// URL") };
        MigrateError::Refused(format!(
            "--to-database needs a PostgreSQL URL (postgres://user:password@host:port/database), not {shown}"
        ))
    };
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(refused());
    }
    postgres::Config::from_str(url).map_err(|e| MigrateError::Refused(format!("--to-database: {e}")))
}

/// Opens the source read-only and refuses it unless it is at this build's schema version.
fn source(path: &Path) -> Result<rusqlite::Connection, MigrateError> {
    if !path.is_file() {
        return Err(MigrateError::Refused(format!("there is no database at {}", path.display())));
    }
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    let found = super::recovery::schema_version(&conn)?;
    let latest = super::migrate::latest_version();
    if found < latest {
        return Err(MigrateError::Refused(format!(
            "{} is at schema version {found} but this galley's is {latest}: run this galley's `galley check` \
             (or start `galley serve`) once on it to upgrade it, then migrate again",
            path.display()
        )));
    }
    if found > latest {
        return Err(MigrateError::Refused(format!(
            "{} is at schema version {found} but this galley knows only up to {latest}: migrate with the galley \
             that runs this install (or a newer one)",
            path.display()
        )));
    }
    Ok(conn)
}

/// The file the destination is a copy of, if it is a copy.
fn copied_from(pg: &mut postgres::Client) -> Result<Option<String>, MigrateError> {
    let exists: bool = pg.query_one("SELECT to_regclass('galley_migration') IS NOT NULL", &[])?.get(0);
    if !exists {
        return Ok(None);
    }
    Ok(pg.query_opt("SELECT source FROM galley_migration WHERE id = 1", &[])?.map(|r| r.get(0)))
}

/// Refuses a destination holding data that is not this source's copy, before anything is
/// written to it. The rows the migrations insert themselves (singleton counters) do not count.
fn check_destination(
    sqlite: &rusqlite::Connection,
    pg: &mut postgres::Client,
    ours: &str,
    seeded: &BTreeSet<String>,
) -> Result<bool, MigrateError> {
    match copied_from(pg)? {
        Some(theirs) if theirs == ours => return Ok(true),
        Some(theirs) => {
            return Err(MigrateError::Refused(format!(
                "the destination database holds another install's data (a copy of {theirs}): migrate into an empty database"
            )))
        }
        None => {}
    }
    let mut stmt =
        sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")?;
    let names: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    for name in names.iter().filter(|n| !seeded.contains(*n)) {
        let exists: bool = pg.query_one("SELECT to_regclass($1) IS NOT NULL", &[&plan::quote(name)])?.get(0);
        if exists && pg.query_opt(&format!("SELECT 1 FROM {} LIMIT 1", plan::quote(name)), &[])?.is_some() {
            return Err(MigrateError::Refused(format!(
                "the destination database holds another install's data (its table {name} has rows): migrate into an empty database"
            )));
        }
    }
    Ok(false)
}

/// Records the source on a first run, replacing the rows the migrations seeded, in one transaction.
fn claim(pg: &mut postgres::Client, tables: &[plan::Table], ours: &str) -> Result<(), MigrateError> {
    let mut tx = pg.transaction()?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS galley_migration (
             id BIGINT PRIMARY KEY CHECK (id = 1), source TEXT NOT NULL, verified BIGINT NOT NULL DEFAULT 0)",
    )?;
    for table in tables.iter().filter(|t| t.seeded) {
        tx.execute(&format!("DELETE FROM {}", plan::quote(&table.name)), &[])?;
    }
    tx.execute("INSERT INTO galley_migration (id, source) VALUES (1, $1)", &[&ours])?;
    tx.commit()?;
    Ok(())
}

/// Copies the SQLite database at `path` into the PostgreSQL database at `url`, then verifies
/// every table. Run again after an interruption, it continues; after a complete copy it only
/// verifies.
pub fn run(path: &Path, url: &str, options: &Options, progress: &dyn Progress) -> Result<Report, MigrateError> {
    let config = destination_config(url)?;
    let sqlite = source(path)?;
    let ours = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned()).display().to_string();
    let mut pg = config
        .connect(postgres::NoTls)
        .map_err(|e| MigrateError::Failed(format!("cannot connect to the destination database: {e}")))?;
    let seeded = plan::seeded_tables()?;
    let resuming = check_destination(&sqlite, &mut pg, &ours, &seeded)?;
    super::migrate_postgres::run(&mut pg)?;
    let tables = plan::tables(&sqlite, &mut pg, &seeded)?;
    if !resuming {
        claim(&mut pg, &tables, &ours)?;
    }
    // One read transaction: the copy and its verification see the same state of the source.
    sqlite.execute_batch("BEGIN")?;
    let copied = Cell::new(0);
    let on_rows = |n: u64| {
        copied.set(copied.get() + n);
        progress.copied(n);
    };
    let mut batches = copy::Batches {
        rows: options.batch_rows,
        stop_after: options.stop_after_batches,
        committed: 0,
        on_rows: &on_rows,
    };
    let mut copied_per_table = Vec::new();
    for table in &tables {
        let rows: i64 =
            sqlite.query_row(&format!("SELECT count(*) FROM {}", plan::quote(&table.name)), [], |r| r.get(0))?;
        let done: i64 = pg.query_one(&format!("SELECT count(*) FROM {}", plan::quote(&table.name)), &[])?.get(0);
        progress.table(&table.name, rows.try_into().unwrap_or(0), done.try_into().unwrap_or(0));
        let before = copied.get();
        if !copy::table(&sqlite, &mut pg, table, &mut batches)? {
            return Err(MigrateError::Stopped(batches.committed));
        }
        copied_per_table.push(copied.get() - before);
    }
    for table in &tables {
        copy::advance_sequences(&mut pg, table)?;
    }
    progress.verifying(tables.len());
    let mut report = Report { tables: Vec::new() };
    for (table, copied) in tables.iter().zip(copied_per_table) {
        report.tables.push(TableReport {
            name: table.name.clone(),
            copied,
            source: verify::sqlite_side(&sqlite, table)?,
            destination: verify::postgres_side(&mut pg, table)?,
        });
    }
    if report.mismatches() > 0 {
        return Err(MigrateError::Mismatch(report));
    }
    pg.execute("UPDATE galley_migration SET verified = 1 WHERE id = 1", &[])?;
    Ok(report)
}

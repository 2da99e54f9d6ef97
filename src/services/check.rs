//! `galley check [--repair]`: the data folder against the database. Every available version has
//! its file with the recorded size and SHA-512, no version folder lacks a row, the rendered
//! documents list what the database lists, the search index matches, the schema is current and
//! SQLite finds its file sound (on PostgreSQL the server's own tools check its files: `amcheck`). `--repair` fixes what the database can rebuild (documents,
//! search index) and moves orphans to `lost+found/`; a missing or damaged package file cannot be
//! rebuilt and is reported.
use crate::db;
use crate::db::sql::Sql;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::sweep::Cutoff;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub schema: u32,
    /// SQLite's `PRAGMA integrity_check` ("ok" when sound); `None` on PostgreSQL, whose files
    /// are checked with its own tools (`amcheck`), not by Galley.
    pub integrity: Option<String>,
    pub versions_checked: usize,
    /// "id version: what is wrong" for package files that are missing, short or altered.
    pub bad_files: Vec<String>,
    /// "area/id/version" folders without a row.
    pub orphans: Vec<String>,
    pub docs_unbacked: Vec<String>,
    pub docs_stale: Vec<String>,
    pub search_drift: usize,
    /// What `--repair` did.
    pub repaired: Vec<String>,
}

impl CheckReport {
    /// Problems left that the database cannot rebuild (or any problem, without `--repair`).
    pub fn unresolved(&self) -> usize {
        let fixable = self.orphans.len() + self.docs_unbacked.len() + self.docs_stale.len() + self.search_drift;
        let unfixable = self.bad_files.len() + usize::from(self.integrity.as_deref().is_some_and(|i| i != "ok"));
        unfixable + if self.repaired.is_empty() { fixable } else { 0 }
    }
}

impl std::fmt::Display for CheckReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "schema version {} (this galley knows {})", self.schema, db::migrate::latest_version())?;
        match &self.integrity {
            Some(integrity) => writeln!(f, "database integrity: {integrity}")?,
            None => writeln!(f, "database integrity: not checked here (PostgreSQL: check its files with amcheck)")?,
        }
        writeln!(
            f,
            "package files: {} available versions checked, {} bad",
            self.versions_checked,
            self.bad_files.len()
        )?;
        for bad in &self.bad_files {
            writeln!(f, "  bad file: {bad}")?;
        }
        writeln!(f, "orphan version folders (no database row): {}", self.orphans.len())?;
        for orphan in &self.orphans {
            writeln!(f, "  orphan: {orphan}")?;
        }
        writeln!(
            f,
            "rendered documents: {} ids without a row, {} ids missing or stale",
            self.docs_unbacked.len(),
            self.docs_stale.len()
        )?;
        writeln!(f, "search index: {} packages drifted", self.search_drift)?;
        for done in &self.repaired {
            writeln!(f, "repaired: {done}")?;
        }
        write!(f, "{} problems unresolved", self.unresolved())
    }
}

/// Checks the package file of every available version against its recorded size and hash.
fn check_files(state: &AppState, conn: &dyn Sql) -> Result<(usize, Vec<String>), AppError> {
    let files = db::recovery::available_files(conn)?;
    let mut bad = Vec::new();
    for (id, version, hash, size) in &files {
        let path = crate::store::local(&*state.store, state.store.nupkg_path(id, version));
        let problem = match path.and_then(std::fs::File::open) {
            Err(e) => Some(format!("missing ({e})")),
            Ok(file) => {
                let found = file.metadata()?.len();
                if found == *size {
                    let digest = crate::domain::nupkg::sha512_base64(file)?;
                    (&digest != hash).then(|| "content differs from the recorded SHA-512".to_owned())
                } else {
                    Some(format!("{found} bytes, {size} recorded"))
                }
            }
        };
        if let Some(problem) = problem {
            bad.push(format!("{id} {version}: {problem}"));
        }
    }
    Ok((files.len(), bad))
}

pub fn check(state: &AppState, repair: bool) -> Result<CheckReport, AppError> {
    let file = state.db.check_file()?;
    let mut report = CheckReport {
        schema: file.schema,
        integrity: file.integrity,
        search_drift: file.search_drift,
        ..CheckReport::default()
    };
    let conn = state.conn()?;
    (report.versions_checked, report.bad_files) = check_files(state, &conn)?;
    let orphans = super::recovery::orphans(state, Cutoff::Everything, &|| false)?;
    report.orphans = orphans.iter().map(|(area, id, v)| format!("{area}/{id}/{v}")).collect();
    (report.docs_unbacked, report.docs_stale) = state.docs.compare_with_database(&conn, &|| false)?;
    drop(conn);
    if repair {
        let moved = super::recovery::move_orphans(state, &orphans)?;
        report
            .repaired
            .push(format!("{moved} orphan version folders moved to {}", state.config.lost_found_dir().display()));
        let (removed, marked) = state.docs.check_against_database(&state.db, &|| false)?;
        let rendered = state.docs.render_stale(&state.db)?;
        report
            .repaired
            .push(format!("{removed} unbacked document folders removed, {marked} ids marked and {rendered} rendered"));
        let reindexed = super::maintenance::reindex(state)?;
        report.repaired.push(reindexed.to_string());
    }
    Ok(report)
}

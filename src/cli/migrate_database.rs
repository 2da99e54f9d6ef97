//! `galley migrate --to-database URL`: the SQLite database of the data folder copied into
//! PostgreSQL (`db::to_postgres`), with a bar per table on a terminal and plain lines otherwise,
//! and the per-table verification printed at the end.
use super::{CliError, EXIT_FAILURE, EXIT_USAGE};
use crate::config::Config;
use crate::db::to_postgres::{self, MigrateError, Options, Progress};
use indicatif::ProgressBar;
use std::cell::RefCell;
use std::io::IsTerminal;

/// A bar per table on a terminal; a line per table (and at the end of each) otherwise.
struct Shown {
    terminal: bool,
    bar: RefCell<Option<ProgressBar>>,
}

impl Shown {
    fn finish(&self) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Shown {
    fn table(&self, name: &str, rows: u64, done: u64) {
        self.finish();
        if self.terminal {
            let bar = super::progress::bar("rows");
            bar.set_message(name.to_owned());
            bar.set_length(rows);
            bar.set_position(done.min(rows));
            *self.bar.borrow_mut() = Some(bar);
        } else {
            eprintln!("copying {name}: {rows} rows, {done} already in the destination");
        }
    }

    fn copied(&self, rows: u64) {
        if let Some(bar) = self.bar.borrow().as_ref() {
            bar.inc(rows);
        }
    }

    fn verifying(&self, tables: usize) {
        self.finish();
        if !self.terminal {
            eprintln!("verifying {tables} tables (row counts and SHA-512 on both sides)");
        }
    }
}

pub fn run(config: &Config, url: &str, options: &Options) -> Result<(), CliError> {
    let shown = Shown { terminal: std::io::stderr().is_terminal(), bar: RefCell::new(None) };
    let result = to_postgres::run(&config.database_path(), url, options, &shown);
    shown.finish();
    match result {
        Ok(report) => {
            print!("{report}");
            println!(
                "Every table matches. Set [database] url to this database (or GALLEY_DATABASE__URL), run `galley reindex` \
                 once on a node with a new data folder (the rendered documents are its files), then start it. \
                 The package files stay where [storage] says ({}); `galley migrate --to-storage s3` moves them to a bucket.",
                match config.storage.backend {
                    crate::config::StorageBackend::Filesystem => config.packages_dir().display().to_string(),
                    crate::config::StorageBackend::S3 => format!("the bucket {}", config.storage.bucket),
                }
            );
            Ok(())
        }
        Err(MigrateError::Mismatch(report)) => {
            print!("{report}");
            Err(CliError { message: MigrateError::Mismatch(report).to_string(), code: EXIT_FAILURE })
        }
        Err(e @ MigrateError::Refused(_)) => Err(CliError { message: e.to_string(), code: EXIT_USAGE }),
        Err(e) => Err(CliError { message: e.to_string(), code: EXIT_FAILURE }),
    }
}

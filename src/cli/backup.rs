//! `galley backup DEST`: a consistent copy of the data folder while the server runs
//! (see `services::backup`).
use super::{CliError, DataArgs};
use crate::config::Overrides;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// New or empty folder to write the backup into (it becomes a data folder).
    #[arg(value_name = "DEST")]
    pub dest: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
}

pub fn run(args: &BackupArgs) -> Result<(), CliError> {
    let config = args.data.load(Overrides::default())?;
    super::refuse_on_postgres(&config, "backup")?;
    let bar = super::progress::bar("package files");
    let report = crate::services::backup::backup(&config, &args.dest, &|n| bar.set_length(n), &|| bar.inc(1))?;
    bar.finish_and_clear();
    println!("backup written to {}: database snapshot, {report}", args.dest.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On PostgreSQL both commands refuse with exit code 2, naming `pg_dump`, and write nothing.
    #[test]
    fn backup_and_restore_refuse_a_postgres_install() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("galley.toml");
        std::fs::write(&config, "[database]\nurl = \"postgres://galley@127.0.0.1:1/galley\"\n").unwrap();
        let data = DataArgs { config: Some(config), data_dir: Some(dir.path().join("data")) };
        let dest = dir.path().join("backup");
        let backup = run(&BackupArgs { dest: dest.clone(), data: data.clone() }).unwrap_err();
        let restore =
            super::super::restore::run(&super::super::restore::RestoreArgs { src: dest.clone(), force: false, data })
                .unwrap_err();
        for (error, command) in [(backup, "backup"), (restore, "restore")] {
            assert_eq!(error.code, super::super::EXIT_USAGE);
            assert!(
                error.message.starts_with(&format!(
                    "galley {command} works on the embedded SQLite database, but [database] url names a PostgreSQL server"
                )),
                "{}",
                error.message
            );
            assert!(error.message.contains("pg_dump"), "{}", error.message);
        }
        assert!(!dest.exists());
        assert!(!dir.path().join("data").exists());
    }
}

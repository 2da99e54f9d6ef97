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
    let bar = super::progress::bar("package files");
    let report = crate::services::backup::backup(&config, &args.dest, &|n| bar.set_length(n), &|| bar.inc(1))?;
    bar.finish_and_clear();
    println!("backup written to {}: database snapshot, {report}", args.dest.display());
    Ok(())
}

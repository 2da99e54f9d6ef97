//! `galley restore SRC --data-dir DIR`: a data folder from a backup. The feed documents are not
//! part of a backup: the server finds them missing at start and renders them with its own public
//! URL, in the background.
use super::{CliError, DataArgs};
use crate::config::Overrides;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// Folder written by `galley backup`.
    #[arg(value_name = "SRC")]
    pub src: PathBuf,
    /// Empty the target data folder first when it is not empty.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub data: DataArgs,
}

pub fn run(args: &RestoreArgs) -> Result<(), CliError> {
    let config = args.data.load(Overrides::default())?;
    super::refuse_on_postgres(&config, "restore")?;
    let bar = super::progress::bar("package files");
    let report =
        crate::services::backup::restore(&args.src, &config, args.force, &|n| bar.set_length(n), &|| bar.inc(1))?;
    bar.finish_and_clear();
    println!(
        "restored {} into {}: database, {report}; feed documents are rendered when the server starts",
        args.src.display(),
        config.data_dir.display()
    );
    Ok(())
}

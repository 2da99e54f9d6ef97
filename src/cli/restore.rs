//! `galley restore SRC --data-dir DIR`: a data folder from a backup, with its feed documents and
//! search index rebuilt so the server serves everything from its first request.
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
    let bar = super::progress::bar("package files");
    let report =
        crate::services::backup::restore(&args.src, &config, args.force, &|n| bar.set_length(n), &|| bar.inc(1))?;
    bar.finish_and_clear();
    let state = super::open_state(&args.data)?;
    let swept = crate::services::recovery::sweep_at_start(&state)?;
    let rendered = crate::services::recovery::render_in_background(&state)?;
    let reindexed = crate::services::maintenance::reindex(&state)?;
    println!(
        "restored {} into {}: {report}; {swept}; {rendered} ids rendered; {reindexed}",
        args.src.display(),
        config.data_dir.display()
    );
    Ok(())
}

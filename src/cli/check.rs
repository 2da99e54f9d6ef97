//! `galley check [--repair]`: the data folder against the database (see `services::check`).
//! Exits 1 when problems remain.
use super::{open_state, CliError, DataArgs, EXIT_FAILURE};
use clap::Args;

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Fix what can be fixed: re-render documents, rebuild the search index, move orphans to lost+found/.
    #[arg(long)]
    pub repair: bool,
    #[command(flatten)]
    pub data: DataArgs,
}

pub fn run(args: &CheckArgs) -> Result<(), CliError> {
    let state = open_state(&args.data)?;
    let report = crate::services::check::check(&state, args.repair)?;
    println!("{report}");
    match report.unresolved() {
        0 => Ok(()),
        n => Err(CliError {
            message: format!("{n} problems found in {}", state.config.data_dir.display()),
            code: EXIT_FAILURE,
        }),
    }
}

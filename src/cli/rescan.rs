//! `galley rescan [--id ID]`: rescan available packages now with the configured scanner; a
//! detection quarantines the version. The same run as the nightly job, under the same lock.
use super::{open_state, CliError, DataArgs, EXIT_FAILURE};
use crate::services::rescan;
use clap::Args;

#[derive(Args, Debug)]
pub struct RescanArgs {
    /// Rescan only the versions of this package id.
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    #[command(flatten)]
    pub data: DataArgs,
}

pub fn run(args: &RescanArgs) -> Result<(), CliError> {
    let state = open_state(&args.data)?;
    let report = crate::jobs::run_exclusive(&state, crate::jobs::Job::Rescan.name(), || {
        rescan::rescan(&state, args.id.as_deref())
    })
    .map_err(|e| match e.downcast::<crate::error::AppError>() {
        Ok(app) => CliError::from(app),
        Err(other) => CliError::from(other),
    })?;
    let report = report.ok_or_else(super::job::busy("rescan"))?;
    println!("Rescan: {report}.");
    if report.errors > 0 {
        return Err(CliError {
            message: format!("{} packages could not be scanned; see the log", report.errors),
            code: EXIT_FAILURE,
        });
    }
    Ok(())
}

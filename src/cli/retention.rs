//! `galley retention [--dry-run]`: applies the `[[retention]]` rules now (under the job's lock),
//! or with `--dry-run` only lists what they would remove and what they keep and why.
use super::job::busy;
use super::{open_state, CliError, DataArgs};
use crate::jobs::{run_exclusive, Job};
use crate::services::retention;
use clap::Args;

#[derive(Args, Debug)]
pub struct RetentionArgs {
    /// List what would be unlisted or deleted, changing nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub data: DataArgs,
}

pub fn run(args: &RetentionArgs) -> Result<(), CliError> {
    let state = open_state(&args.data)?;
    let now = state.clock.now();
    let report = if args.dry_run {
        retention::plan(&state, now)?
    } else {
        run_exclusive(&state, Job::Retention.name(), || retention::run(&state, now))?
            .ok_or_else(busy(Job::Retention.name()))?
    };
    for line in report.lines() {
        println!("{line}");
    }
    println!("retention: {report}.");
    Ok(())
}

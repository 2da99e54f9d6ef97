//! `galley reindex` and `galley job NAME`: run a scheduled job now, under its lock, and print
//! its result. (`galley rescan` has its own file for `--id`.)
use super::{open_state, CliError, DataArgs, EXIT_FAILURE};
use crate::jobs::Job;
use clap::Args;

#[derive(Args, Debug)]
pub struct JobArgs {
    /// The job to run.
    #[arg(value_enum)]
    pub job: Job,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Args, Debug)]
pub struct ReindexArgs {
    #[command(flatten)]
    pub data: DataArgs,
}

/// The error of a job that is already running elsewhere (the server's scheduler, another shell).
pub fn busy(job: &'static str) -> impl FnOnce() -> CliError {
    move || CliError {
        message: format!("{job} is already running; try again when it has finished"),
        code: EXIT_FAILURE,
    }
}

pub fn run(args: &JobArgs) -> Result<(), CliError> {
    run_job(args.job, &args.data)
}

pub fn reindex(args: &ReindexArgs) -> Result<(), CliError> {
    run_job(Job::Reindex, &args.data)
}

fn run_job(job: Job, data: &DataArgs) -> Result<(), CliError> {
    let state = open_state(data)?;
    let result = job.run(&state)?.ok_or_else(busy(job.name()))?;
    println!("{}: {result}.", job.name());
    Ok(())
}

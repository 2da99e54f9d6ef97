//! `galley mirror fetch ID [--version V] [--with-dependencies]`: fetch a package (and its
//! dependency closure) from the upstreams now, for restores while they are unreachable.
use super::{open_state, CliError, DataArgs, EXIT_FAILURE};
use crate::services::mirror::prefetch;
use clap::{Args, Subcommand};

#[derive(Subcommand, Debug)]
pub enum MirrorCommand {
    /// Fetch a package from the upstreams into this server's cache.
    Fetch(FetchArgs),
}

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// The package id.
    pub id: String,
    /// The version (default: the latest stable one the upstream lists).
    #[arg(long, value_name = "V")]
    pub version: Option<String>,
    /// Also fetch every dependency (lowest version matching each range), recursively.
    #[arg(long)]
    pub with_dependencies: bool,
    #[command(flatten)]
    pub data: DataArgs,
}

pub fn run(cmd: MirrorCommand) -> Result<(), CliError> {
    let MirrorCommand::Fetch(args) = cmd;
    let state = open_state(&args.data)?;
    if !state.mirror.enabled() {
        return Err(CliError {
            message: "no [[upstream]] is configured; see docs/upstreams.md".into(),
            code: super::EXIT_USAGE,
        });
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)?;
    let report =
        runtime.block_on(prefetch::prefetch(&state, &args.id, args.version.as_deref(), args.with_dependencies))?;
    for line in &report.stored {
        println!("stored  {line}");
    }
    for line in &report.local {
        println!("local   {line} (local wins: not taken from an upstream)");
    }
    for line in &report.failed {
        println!("failed  {line}");
    }
    println!("{} stored, {} local, {} failed.", report.stored.len(), report.local.len(), report.failed.len());
    if report.stored.is_empty() || !report.failed.is_empty() {
        return Err(CliError { message: "some packages could not be fetched".into(), code: EXIT_FAILURE });
    }
    Ok(())
}

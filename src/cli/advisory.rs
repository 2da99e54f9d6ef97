//! `galley advisory add|list|remove`: an administrator records the security advisories that
//! restores audit against, through the same service as the admin API (audited, documents re-rendered).
use super::{open_state, CliError, DataArgs, EXIT_USAGE};
use crate::domain::advisory::{NewAdvisory, Severity};
use crate::services::{advisories, permissions::Principal};
use clap::{Args, Subcommand};

#[derive(Subcommand, Debug)]
pub enum AdvisoryCommand {
    /// Record an advisory: the package id, the affected versions, the severity and the advisory's URL.
    Add(AddArgs),
    /// List the recorded advisories with their numbers.
    List(DataOnly),
    /// Remove an advisory by its number (see `list`).
    Remove(RemoveArgs),
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// The package id.
    pub id: String,
    /// The affected versions, as a NuGet version range: "[1.0.0, 1.2.0)".
    #[arg(long)]
    pub range: String,
    /// low, moderate, high or critical.
    #[arg(long)]
    pub severity: String,
    /// The advisory's address (https).
    #[arg(long)]
    pub url: String,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Args, Debug)]
pub struct DataOnly {
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Args, Debug)]
pub struct RemoveArgs {
    /// The advisory's number.
    pub number: i64,
    #[command(flatten)]
    pub data: DataArgs,
}

pub fn run(cmd: AdvisoryCommand) -> Result<(), CliError> {
    let operator = Principal::operator(None, "cli");
    match cmd {
        AdvisoryCommand::Add(args) => {
            let advisory = NewAdvisory::parse(&args.id, &args.range, &args.severity, &args.url)
                .map_err(|e| CliError { message: e.to_string(), code: EXIT_USAGE })?;
            let state = open_state(&args.data)?;
            let number = advisories::add(&state, &operator, &advisory, None)?;
            println!(
                "Recorded advisory {number}: {} {} ({}) {}.",
                advisory.package_id.as_str(),
                advisory.range.to_normalized_string(),
                advisory.severity.name(),
                advisory.url
            );
        }
        AdvisoryCommand::List(args) => {
            let state = open_state(&args.data)?;
            let rows = advisories::list(&state)?;
            if rows.is_empty() {
                println!("No advisories recorded.");
            }
            for a in rows {
                let severity = Severity::from_number(a.severity).name();
                println!("{}\t{}\t{}\t{severity}\t{}", a.id, a.package_id, a.version_range, a.url);
            }
        }
        AdvisoryCommand::Remove(args) => {
            let state = open_state(&args.data)?;
            let removed = advisories::remove(&state, &operator, args.number, None)?;
            println!("Removed advisory {}: {} {}.", removed.id, removed.package_id, removed.version_range);
        }
    }
    Ok(())
}

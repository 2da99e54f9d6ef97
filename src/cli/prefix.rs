//! `galley prefix reserve|list|remove PREFIX`: id prefixes kept for local publishing; no upstream
//! ever supplies an id under one (`docs/upstreams.md`).
use super::{open_state, CliError, DataArgs};
use crate::services::prefixes;
use clap::{Args, Subcommand};

#[derive(Subcommand, Debug)]
pub enum PrefixCommand {
    /// Reserve an id prefix (e.g. `Contoso.`): ids under it are never taken from an upstream.
    Reserve(PrefixArgs),
    /// List the reserved prefixes.
    List(DataOnly),
    /// Remove a reservation.
    Remove(PrefixArgs),
}

#[derive(Args, Debug)]
pub struct PrefixArgs {
    /// The start of the ids, matched case-insensitively (`Contoso.` covers `Contoso.Core`).
    pub prefix: String,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Args, Debug)]
pub struct DataOnly {
    #[command(flatten)]
    pub data: DataArgs,
}

pub fn run(cmd: PrefixCommand) -> Result<(), CliError> {
    match cmd {
        PrefixCommand::Reserve(args) => {
            let state = open_state(&args.data)?;
            if prefixes::reserve(&state, &args.prefix, "cli")? {
                println!("Reserved the prefix {}: ids under it are local only.", args.prefix.trim());
            } else {
                println!("The prefix {} was already reserved.", args.prefix.trim());
            }
        }
        PrefixCommand::List(args) => {
            let state = open_state(&args.data)?;
            for p in prefixes::list(&state)? {
                println!("{}\t{}", p.prefix, p.created_at);
            }
        }
        PrefixCommand::Remove(args) => {
            let state = open_state(&args.data)?;
            if !prefixes::remove(&state, &args.prefix, "cli")? {
                return Err(CliError {
                    message: format!("the prefix {} is not reserved", args.prefix.trim()),
                    code: super::EXIT_FAILURE,
                });
            }
            println!("Removed the reservation of {}.", args.prefix.trim());
        }
    }
    Ok(())
}

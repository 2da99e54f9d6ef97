//! `galley owner add|remove ID USER`: an administrator's direct change of a package's owners,
//! through the same service as the web (audited; the last owner still cannot be removed).
use super::{open_state, CliError, DataArgs};
use crate::services::{owners, permissions::Principal};
use clap::{Args, Subcommand};

#[derive(Subcommand, Debug)]
pub enum OwnerCommand {
    /// Make an account (user or organization) an owner of a package at once, without an invitation.
    Add(OwnerArgs),
    /// Remove an owner from a package (a package keeps at least one owner).
    Remove(OwnerArgs),
}

#[derive(Args, Debug)]
pub struct OwnerArgs {
    /// The package id.
    pub id: String,
    /// The account's username.
    pub user: String,
    #[command(flatten)]
    pub data: DataArgs,
}

pub fn run(cmd: OwnerCommand) -> Result<(), CliError> {
    let operator = Principal::operator(None, "cli");
    match cmd {
        OwnerCommand::Add(args) => {
            let state = open_state(&args.data)?;
            owners::add_directly(&state, &operator, &args.id, &args.user, None, Some("galley owner add"))?;
            println!("{} now owns {}.", args.user, args.id);
        }
        OwnerCommand::Remove(args) => {
            let state = open_state(&args.data)?;
            owners::remove(&state, &operator, &args.id, &args.user, None)?;
            println!("{} no longer owns {}.", args.user, args.id);
        }
    }
    Ok(())
}

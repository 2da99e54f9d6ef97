//! `galley user add|list|disable|enable|set-admin|reset-2fa`.
use super::{open_state, CliError, DataArgs, EXIT_USAGE};
use crate::services::accounts::{self, NewAccount};
use crate::services::permissions::Principal;
use crate::services::two_factor;
use clap::{Args, Subcommand};
use std::io::BufRead;

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user account.
    Add(AddArgs),
    /// List accounts.
    List(ListArgs),
    /// Disable an account: it can no longer sign in or use its API keys.
    Disable(NameArgs),
    /// Enable a disabled account.
    Enable(NameArgs),
    /// Grant (or with --revoke, remove) the administrator role.
    SetAdmin(SetAdminArgs),
    /// Turn off a user's two-factor authentication (lost authenticator and recovery codes).
    #[command(name = "reset-2fa")]
    Reset2fa(NameArgs),
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// User name (letters, digits, '.', '-', '_').
    pub name: String,
    #[arg(long)]
    pub email: String,
    /// Make the user an administrator.
    #[arg(long)]
    pub admin: bool,
    /// Read the password from the first line of standard input instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Args, Debug)]
pub struct NameArgs {
    pub name: String,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Args, Debug)]
pub struct SetAdminArgs {
    pub name: String,
    /// Remove the administrator role instead.
    #[arg(long)]
    pub revoke: bool,
    #[command(flatten)]
    pub data: DataArgs,
}

fn read_password(from_stdin: bool) -> Result<String, CliError> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(anyhow::Error::from)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("Password: ").map_err(anyhow::Error::from)?;
        let second = rpassword::prompt_password("Repeat password: ").map_err(anyhow::Error::from)?;
        if first != second {
            return Err(CliError { message: "the passwords do not match".into(), code: EXIT_USAGE });
        }
        first
    };
    Ok(password)
}

pub fn run(cmd: UserCommand) -> Result<(), CliError> {
    match cmd {
        UserCommand::Add(args) => {
            let password = read_password(args.password_stdin)?;
            let state = open_state(&args.data)?;
            let account =
                NewAccount { username: &args.name, email: &args.email, password: &password, is_admin: args.admin };
            // The operator vouches for the address: no confirmation email from the CLI.
            accounts::create_by_operator(&state, &account, "cli")?;
            println!("Created user {}{}.", args.name, if args.admin { " (administrator)" } else { "" });
        }
        UserCommand::List(args) => {
            let state = open_state(&args.data)?;
            for u in accounts::list(&state)? {
                let mut flags = Vec::new();
                if u.is_admin {
                    flags.push("admin");
                }
                if u.is_disabled {
                    flags.push("disabled");
                }
                if u.is_organization {
                    flags.push("organization");
                }
                println!("{}\t{}\t{}", u.username, u.email, flags.join(","));
            }
        }
        UserCommand::Disable(args) => {
            let state = open_state(&args.data)?;
            accounts::set_disabled(&state, &args.name, true, "cli")?;
            println!("Disabled {}.", args.name);
        }
        UserCommand::Enable(args) => {
            let state = open_state(&args.data)?;
            accounts::set_disabled(&state, &args.name, false, "cli")?;
            println!("Enabled {}.", args.name);
        }
        UserCommand::SetAdmin(args) => {
            let state = open_state(&args.data)?;
            accounts::set_admin(&state, &args.name, !args.revoke, "cli")?;
            println!("{} is {} an administrator.", args.name, if args.revoke { "no longer" } else { "now" });
        }
        UserCommand::Reset2fa(args) => {
            let state = open_state(&args.data)?;
            two_factor::reset(&state, &Principal::operator(None, "cli"), &args.name, None)?;
            println!("Two-factor authentication of {} was reset; it signs in with the password alone.", args.name);
        }
    }
    Ok(())
}

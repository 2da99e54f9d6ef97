//! `galley apikey create|list|revoke`.
use super::{open_state, CliError, DataArgs, EXIT_USAGE};
use crate::domain::api_key::Scope;
use crate::services::{accounts, keys, principals};
use clap::{Args, Subcommand};

#[derive(Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Create an API key; the key is printed alone on the last line of standard output.
    Create(CreateArgs),
    /// List a user's keys (prefix, scopes, patterns, expiry, last use).
    List(UserArgs),
    /// Delete a key by its number (see `list`).
    Revoke(RevokeArgs),
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// The user the key acts for.
    #[arg(long)]
    pub user: String,
    /// A description to tell keys apart.
    #[arg(long, default_value = "")]
    pub name: String,
    /// Comma-separated: push (new ids and versions), push-version (new versions only), unlist.
    #[arg(long, default_value = "push,unlist")]
    pub scopes: String,
    /// Limit the key to ids matching this pattern (e.g. 'Acme.*'); repeatable.
    #[arg(long = "glob", value_name = "PATTERN")]
    pub globs: Vec<String>,
    /// Limit the key to this package id (with --glob: either matches); repeatable.
    #[arg(long = "package", value_name = "ID")]
    pub package_ids: Vec<String>,
    /// Create the key for this organization (the user must be one of its admins).
    #[arg(long, value_name = "ORG")]
    pub owner: Option<String>,
    /// Days until the key expires (1 to 365) [default: [accounts] `api_key_default_days`].
    #[arg(long)]
    pub expires_in_days: Option<u32>,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Args, Debug)]
pub struct UserArgs {
    #[arg(long)]
    pub user: String,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Args, Debug)]
pub struct RevokeArgs {
    #[arg(long)]
    pub user: String,
    /// The key number shown by `galley apikey list`.
    pub key: i64,
    #[command(flatten)]
    pub data: DataArgs,
}

pub fn run(cmd: ApiKeyCommand) -> Result<(), CliError> {
    match cmd {
        ApiKeyCommand::Create(args) => {
            let scopes = Scope::parse_list(&args.scopes).map_err(|message| CliError { message, code: EXIT_USAGE })?;
            let state = open_state(&args.data)?;
            let conn = state.conn()?;
            let user = accounts::find_user(&conn, &args.user)?;
            let created = keys::create(
                &conn,
                &state.server_key,
                &keys::NewKeyRequest {
                    user_id: user.id,
                    session: None,
                    owner: args.owner.as_deref(),
                    description: &args.name,
                    scopes,
                    globs: args.globs.clone(),
                    package_ids: args.package_ids.clone(),
                    expires_in_days: args.expires_in_days.unwrap_or(state.config.accounts.api_key_default_days),
                },
                None,
                state.clock.now(),
            )?;
            let owner = args.owner.as_deref().unwrap_or(&user.username);
            println!(
                "Created API key {} for {owner} (expires {}). It is shown only now:",
                created.id, created.expires_at
            );
            println!("{}", created.secret);
        }
        ApiKeyCommand::List(args) => {
            let state = open_state(&args.data)?;
            let conn = state.conn()?;
            let user = accounts::find_user(&conn, &args.user)?;
            println!("#\tprefix\tdescription\tscopes\tpatterns\texpires\tlast used\tstate");
            for k in keys::list(&conn, user.id)? {
                println!(
                    "{}\t{}…\t{}\t{}\t{}\t{}\t{}\t{}",
                    k.id,
                    k.prefix,
                    k.description,
                    k.scopes,
                    patterns(&k.globs, &k.package_ids),
                    k.expires_at,
                    k.last_used_at.as_deref().unwrap_or("never"),
                    if k.revoked_at.is_some() { "deleted" } else { "active" }
                );
            }
        }
        ApiKeyCommand::Revoke(args) => {
            let state = open_state(&args.data)?;
            let conn = state.conn()?;
            let user = accounts::find_user(&conn, &args.user)?;
            // The same rule as the web: the user's own keys and those of organizations it administers.
            let principal = principals::for_user(&conn, &user, &state.config.accounts)?;
            keys::delete(&conn, &principal, args.key, None)?;
            println!("Deleted API key {}.", args.key);
        }
    }
    Ok(())
}

/// Glob patterns and explicit ids, comma-separated; `*` when the key may act on every package.
fn patterns(globs: &str, package_ids: &str) -> String {
    let all: Vec<&str> = globs.lines().chain(package_ids.lines()).filter(|l| !l.is_empty()).collect();
    if all.is_empty() {
        "*".to_owned()
    } else {
        all.join(",")
    }
}

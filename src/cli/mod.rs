//! The command line: one file per sub-command. `galley` alone is `galley serve`.
pub mod advisory;
pub mod apikey;
pub mod backup;
pub mod check;
pub mod import;
mod import_feed;
pub mod job;
pub mod migrate;
pub mod mirror;
pub mod owner;
pub mod prefix;
mod progress;
pub mod rescan;
pub mod restore;
pub mod retention;
pub mod serve;
pub mod user;

use crate::config::{Config, Overrides};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "galley",
    version,
    about = "A NuGet package gallery in one executable: v3 and v2 feeds, portal, accounts and API keys."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the feeds, the portal and the API (the default command).
    Serve(serve::ServeArgs),
    /// Manage user accounts.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Apikey(apikey::ApiKeyCommand),
    /// Import every .nupkg below the given folders (file shares, NuGet.Server, id/version layouts).
    Import(import::ImportArgs),
    /// Add or remove package owners directly (administrators).
    #[command(subcommand)]
    Owner(owner::OwnerCommand),
    /// Rescan available packages for viruses now; a detection quarantines the version.
    Rescan(rescan::RescanArgs),
    /// Rebuild the search index and the feed documents from the database; reports any drift.
    Reindex(job::ReindexArgs),
    /// Run a scheduled job now: flush-downloads, rescan, reindex, purge-expired, retry-validating, retention.
    Job(job::JobArgs),
    /// Write a consistent backup of the data folder into DEST while the server runs.
    Backup(backup::BackupArgs),
    /// Fill a data folder from a backup (refuses a non-empty one unless --force).
    Restore(restore::RestoreArgs),
    /// Copy an install's package files to another storage backend (--to-storage s3).
    Migrate(migrate::MigrateArgs),
    /// Verify the data folder against the database; --repair fixes what can be rebuilt.
    Check(check::CheckArgs),
    /// Apply the [[retention]] rules now; --dry-run lists what would be unlisted or deleted.
    Retention(retention::RetentionArgs),
    /// Record, list and remove security advisories (served to restore audits).
    #[command(subcommand)]
    Advisory(advisory::AdvisoryCommand),
    /// Reserve id prefixes for local publishing (never supplied by an upstream).
    #[command(subcommand)]
    Prefix(prefix::PrefixCommand),
    /// Fetch packages from the [[upstream]] feeds ahead of time.
    #[command(subcommand)]
    Mirror(mirror::MirrorCommand),
}

/// Where the data lives; every command that touches data takes these.
#[derive(Args, Debug, Clone, Default)]
pub struct DataArgs {
    /// Configuration file (default: galley.toml in the working directory, when present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory (database, packages, cache).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

impl DataArgs {
    pub fn load(&self, mut overrides: Overrides) -> Result<Config, crate::config::ConfigError> {
        overrides.data_dir = overrides.data_dir.or_else(|| self.data_dir.clone());
        let config = tracing::subscriber::with_default(crate::logging::before_config(), || {
            Config::load(self.config.as_deref(), &overrides)
        })?;
        crate::logging::init(&config.log);
        Ok(config)
    }
}

/// `galley backup` and `restore` copy the embedded SQLite file: on PostgreSQL they refuse (exit
/// 2) and say what does the job there, before touching anything.
fn refuse_on_postgres(config: &Config, command: &str) -> Result<(), CliError> {
    if !config.database.is_postgres() {
        return Ok(());
    }
    Err(CliError {
        message: format!(
            "galley {command} works on the embedded SQLite database, but [database] url names a PostgreSQL server: \
             back the database up with pg_dump (and restore it with pg_restore), and copy the package storage \
             (the data folder's packages/ and pending/, or the [storage] bucket) beside it"
        ),
        code: EXIT_USAGE,
    })
}

/// Exit codes: 1 for a failed operation, 2 for bad configuration or usage.
pub const EXIT_FAILURE: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

/// A command's failure: what to print and the exit code.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub code: i32,
}

impl From<crate::config::ConfigError> for CliError {
    fn from(e: crate::config::ConfigError) -> Self {
        Self { message: e.to_string(), code: EXIT_USAGE }
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        Self { message: format!("{e:#}"), code: EXIT_FAILURE }
    }
}

impl From<crate::error::AppError> for CliError {
    fn from(e: crate::error::AppError) -> Self {
        let message = match &e {
            crate::error::AppError::Internal(inner) => format!("{inner:#}"),
            other => other.to_string(),
        };
        Self { message, code: EXIT_FAILURE }
    }
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command.unwrap_or(Command::Serve(serve::ServeArgs::default())) {
        Command::Serve(args) => serve::run(&args),
        Command::User(cmd) => user::run(cmd),
        Command::Apikey(cmd) => apikey::run(cmd),
        Command::Import(args) => import::run(&args),
        Command::Owner(cmd) => owner::run(cmd),
        Command::Rescan(args) => rescan::run(&args),
        Command::Reindex(args) => job::reindex(&args),
        Command::Job(args) => job::run(&args),
        Command::Backup(args) => backup::run(&args),
        Command::Restore(args) => restore::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Migrate(args) => migrate::run(&args),
        Command::Advisory(cmd) => advisory::run(cmd),
        Command::Retention(args) => retention::run(&args),
        Command::Prefix(cmd) => prefix::run(cmd),
        Command::Mirror(cmd) => mirror::run(cmd),
    }
}

/// The data directory opened by a one-shot command. Dropping it lets queued mail go out first:
/// the process must not exit with notices still in the queue.
pub struct OpenState(crate::state::AppState);

impl std::ops::Deref for OpenState {
    type Target = crate::state::AppState;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Drop for OpenState {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// Opens the data directory for a one-shot command.
pub fn open_state(data: &DataArgs) -> Result<OpenState, CliError> {
    let config = data.load(Overrides::default())?;
    Ok(OpenState(crate::state::AppState::open(config)?))
}

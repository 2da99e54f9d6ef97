//! `galley migrate --to-storage s3`: moves an install's package files into the `[storage]`
//! bucket (`services::storage_migration`). `--to-database` belongs to the `PostgreSQL` work that
//! is not built yet.
use super::{CliError, DataArgs, EXIT_USAGE};
use crate::config::Overrides;
use clap::Args;

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// Copy the data folder's package files to this storage backend ("s3": the [storage] bucket).
    #[arg(long, value_name = "BACKEND")]
    pub to_storage: Option<String>,
    /// Copy the database to `PostgreSQL` (not available yet).
    #[arg(long, value_name = "URL")]
    pub to_database: Option<String>,
    #[command(flatten)]
    pub data: DataArgs,
}

fn usage(message: &str) -> CliError {
    CliError { message: message.into(), code: EXIT_USAGE }
}

pub fn run(args: &MigrateArgs) -> Result<(), CliError> {
    if args.to_database.is_some() {
        return Err(usage(
            "galley migrate --to-database is not available yet: PostgreSQL support has not been built (only --to-storage s3 is)",
        ));
    }
    match args.to_storage.as_deref() {
        Some("s3") => {}
        Some(other) => {
            return Err(usage(&format!(
                "galley migrate --to-storage '{other}' is not available: the only target is s3"
            )))
        }
        None => return Err(usage("galley migrate needs --to-storage s3")),
    }
    let config = args.data.load(Overrides::default())?;
    if config.storage.bucket.trim().is_empty() {
        return Err(usage(
            "[storage] bucket is empty: set bucket (and endpoint, region, credentials) before migrating",
        ));
    }
    let db = crate::app::open_database(&config, &crate::domain::clock::Clock::system()).map_err(anyhow::Error::from)?;
    let store = crate::app::object_store::open_s3(&config, &db)?;
    let bar = super::progress::bar("files");
    let report = crate::services::storage_migration::copy_to_bucket(
        &config.packages_dir(),
        &store,
        &|n| bar.set_length(n),
        &|| bar.inc(1),
    );
    bar.finish_and_clear();
    let report = report?;
    println!("migrated to {}: {report}", store.remote().place());
    println!(
        "Every package file is in the bucket. Set [storage] backend = \"s3\" (or GALLEY_STORAGE__BACKEND=s3) and restart galley; {} can be removed once the S3 install serves every package.",
        config.packages_dir().display()
    );
    Ok(())
}

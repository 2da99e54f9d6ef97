//! `galley migrate`: moves an install to the scaled-out backends (docs/scale-out.md, "Moving an
//! install"). `--to-storage s3` copies the package files into the `[storage]` bucket
//! (`services::storage_migration`); `--to-database URL` copies the SQLite database into
//! `PostgreSQL` (`migrate_database.rs`). Each is resumable and verified.
use super::{CliError, DataArgs, EXIT_USAGE};
use crate::config::Overrides;
use crate::db::to_postgres::Options;
use clap::Args;

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// Copy the data folder's package files to this storage backend ("s3": the [storage] bucket).
    #[arg(long, value_name = "BACKEND")]
    pub to_storage: Option<String>,
    /// Copy the `SQLite` database (<data-dir>/galley.db) into this `PostgreSQL` database
    /// (postgres://user:password@host:port/database); package files stay where [storage] says.
    #[arg(long, value_name = "URL")]
    pub to_database: Option<String>,
    /// Rows per transaction when copying the database.
    #[arg(long, value_name = "ROWS", default_value_t = 500)]
    pub batch_rows: usize,
    /// Tests: stop after this many committed batches, as an interrupted run would.
    #[arg(long, value_name = "N", hide = true)]
    pub stop_after_batches: Option<u64>,
    #[command(flatten)]
    pub data: DataArgs,
}

fn usage(message: &str) -> CliError {
    CliError { message: message.into(), code: EXIT_USAGE }
}

pub fn run(args: &MigrateArgs) -> Result<(), CliError> {
    if let Some(url) = args.to_database.as_deref() {
        if args.to_storage.is_some() {
            return Err(usage("galley migrate takes --to-storage or --to-database, one at a time"));
        }
        let config = args.data.load(Overrides::default())?;
        let options = Options { batch_rows: args.batch_rows, stop_after_batches: args.stop_after_batches };
        return super::migrate_database::run(&config, url, &options);
    }
    match args.to_storage.as_deref() {
        Some("s3") => {}
        Some(other) => {
            return Err(usage(&format!(
                "galley migrate --to-storage '{other}' is not available: the only target is s3"
            )))
        }
        None => return Err(usage("galley migrate needs --to-storage s3 or --to-database URL")),
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

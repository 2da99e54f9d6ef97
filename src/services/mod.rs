//! Use cases. Services decide (who may push, what a push stores, what a feed shows); they never
//! build HTTP responses. Blocking work is theirs to run off the async executor.
pub mod accounts;
pub mod admin_overview;
pub mod advisories;
pub mod audit;
pub mod backup;
pub mod check;
pub mod cluster_sync;
pub mod deprecation;
pub mod directory_groups;
pub mod directory_signin;
pub mod directory_sync;
pub mod email_links;
pub mod feed_access;
pub mod feed_import;
pub mod feed_v2;
pub mod health;
pub mod keys;
pub mod lifecycle;
pub mod maintenance;
pub mod metrics_snapshot;
pub mod mirror;
pub mod my_packages;
pub mod notify;
pub mod oidc_signin;
pub mod orgs;
pub mod owners;
pub mod package_details;
pub mod package_file;
pub mod permissions;
pub mod prefixes;
pub mod principals;
pub mod profiles;
pub mod publish;
pub mod recovery;
pub mod rescan;
pub mod retention;
pub mod search;
pub mod sessions;
pub mod storage_migration;
pub mod support;
pub mod symbols;
mod transaction;
pub mod two_factor;
pub mod two_factor_sign_in;
pub mod uploads;
pub mod validation;

pub(crate) use transaction::in_transaction;

/// Runs blocking work (SQLite, zip, bcrypt, file I/O) on tokio's blocking pool.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::error::AppError> + Send + 'static,
) -> Result<T, crate::error::AppError> {
    tokio::task::spawn_blocking(f).await?
}

//! `galley import --from-feed URL`: the remote feed's versions copied one by one with a progress
//! bar, then a summary of what was copied, skipped (already here) and failed.
use super::{CliError, EXIT_FAILURE};
use crate::services::feed_import::{self, Copied, ImportSummary};
use crate::services::permissions::Principal;
use crate::state::AppState;
use indicatif::{ProgressBar, ProgressStyle};

pub fn run(
    state: &AppState,
    principal: &Principal,
    url: &str,
    username: Option<&str>,
    password: Option<&str>,
) -> Result<(), CliError> {
    let feed = feed_import::source(url, username.unwrap_or_default(), password.unwrap_or_default())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)?;
    let summary = runtime.block_on(async {
        let ids = feed_import::ids(&feed).await?;
        let mut versions = Vec::new();
        let listing = ProgressBar::new(ids.len() as u64);
        listing.set_style(
            ProgressStyle::with_template("listing {bar:40} {pos}/{len} {wide_msg}").map_err(anyhow::Error::from)?,
        );
        for id in &ids {
            listing.set_message(id.clone());
            versions.extend(feed_import::versions(&feed, id).await?);
            listing.inc(1);
        }
        listing.finish_and_clear();
        let bar = ProgressBar::new(versions.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("copying {bar:40} {pos}/{len} {wide_msg}").map_err(anyhow::Error::from)?,
        );
        let mut summary = ImportSummary::default();
        for v in &versions {
            bar.set_message(format!("{} {}", v.id, v.version));
            match feed_import::copy(state, &feed, principal, v).await? {
                Copied::Copied => summary.copied += 1,
                Copied::Skipped => summary.skipped += 1,
                Copied::Failed(why) => {
                    bar.suspend(|| eprintln!("failed {why}"));
                    summary.failed.push(why);
                }
            }
            bar.inc(1);
        }
        bar.finish_and_clear();
        Ok::<_, CliError>(summary)
    })?;
    println!(
        "Copied {} versions, skipped {} already here, {} failed.",
        summary.copied,
        summary.skipped,
        summary.failed.len()
    );
    if summary.failed.is_empty() {
        Ok(())
    } else {
        Err(CliError { message: format!("{} versions could not be copied", summary.failed.len()), code: EXIT_FAILURE })
    }
}

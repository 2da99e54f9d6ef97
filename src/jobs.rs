//! Scheduled jobs: tokio-cron-scheduler wiring only. Each job body is a plain function that the
//! CLI and the tests call directly. A blank cron expression disables the job.
use crate::state::AppState;
use tokio_cron_scheduler::{Job, JobScheduler};

/// Writes batched download counts to the database.
pub fn flush_downloads(state: &AppState) -> anyhow::Result<u64> {
    Ok(state.downloads.flush(&state.db)?)
}

pub async fn start(state: &AppState) -> anyhow::Result<Option<JobScheduler>> {
    let cron = state.config.jobs.flush_downloads.trim().to_owned();
    if cron.is_empty() {
        return Ok(None);
    }
    let scheduler = JobScheduler::new().await?;
    let job_state = state.clone();
    let job = Job::new_async(cron.as_str(), move |_, _| {
        let state = job_state.clone();
        Box::pin(async move {
            let started = std::time::Instant::now();
            match tokio::task::spawn_blocking(move || flush_downloads(&state)).await {
                Ok(Ok(n)) => tracing::info!(
                    job = "flush-downloads",
                    downloads = n,
                    ms = started.elapsed().as_millis(),
                    "job done"
                ),
                Ok(Err(e)) => tracing::error!(job = "flush-downloads", error = %e, "job failed"),
                Err(e) => tracing::error!(job = "flush-downloads", error = %e, "job panicked"),
            }
        })
    })
    .map_err(|e| anyhow::anyhow!("[jobs] flush_downloads = '{cron}' is not a valid cron expression: {e}"))?;
    scheduler.add(job).await?;
    scheduler.start().await?;
    Ok(Some(scheduler))
}

//! Scheduled jobs: tokio-cron-scheduler wiring only. Each job body is a plain function that the
//! CLI and the tests call directly. A blank cron expression disables the job. Every run, by
//! schedule or by hand, goes through `run_exclusive`: logged with its duration and result (at
//! INFO when it did something, else DEBUG, so an idle server's log stays quiet), counted in the
//! metrics, and skipped (and logged) while another run of the same job holds its lock.
pub mod lock;
mod outcome;
mod tick;

pub use outcome::{JobOutcome, Outcome};

use crate::services::{directory_sync, maintenance, rescan, retention, validation};
use crate::state::AppState;
use tokio_cron_scheduler::{Job as CronJob, JobScheduler};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Job {
    FlushDownloads,
    Rescan,
    Reindex,
    PurgeExpired,
    RetryValidating,
    Retention,
    /// `[ldap]`: disables the accounts of users the directory no longer has or allows.
    LdapSync,
}

impl Job {
    pub const ALL: [Job; 7] = [
        Job::FlushDownloads,
        Job::Rescan,
        Job::Reindex,
        Job::PurgeExpired,
        Job::RetryValidating,
        Job::Retention,
        Job::LdapSync,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::FlushDownloads => "flush-downloads",
            Job::Rescan => "rescan",
            Job::Reindex => "reindex",
            Job::PurgeExpired => "purge-expired",
            Job::RetryValidating => "retry-validating",
            Job::Retention => "retention",
            Job::LdapSync => "ldap-sync",
        }
    }

    /// Jobs whose work is this node's own and not the cluster's: the download counts a node
    /// holds in memory. Every node runs them on its schedule, under its folder lock, without
    /// claiming the tick (a node that lost the claim would keep its counts).
    pub fn is_per_node(self) -> bool {
        matches!(self, Job::FlushDownloads)
    }

    fn cron(self, state: &AppState) -> (&'static str, String) {
        let jobs = &state.config.jobs;
        let (key, cron) = match self {
            Job::FlushDownloads => ("[jobs] flush_downloads", &jobs.flush_downloads),
            Job::Rescan => ("[jobs] rescan", &jobs.rescan),
            Job::Reindex => ("[jobs] reindex", &jobs.reindex),
            Job::PurgeExpired => ("[jobs] purge_expired", &jobs.purge_expired),
            Job::RetryValidating => ("[jobs] retry_validating", &jobs.retry_validating),
            Job::Retention => ("[jobs] retention", &jobs.retention),
            // Scheduled only when the directory is configured; its schedule lives in `[ldap]`.
            Job::LdapSync => match &state.config.ldap {
                Some(ldap) => ("[ldap] sync_schedule", &ldap.sync_schedule),
                None => return ("[ldap] sync_schedule", String::new()),
            },
        };
        (key, cron.trim().to_owned())
    }

    /// Runs the job's body once, now (no lock; see `run`).
    pub fn body(self, state: &AppState) -> anyhow::Result<JobOutcome> {
        let now = state.clock.now();
        Ok(match self {
            Job::FlushDownloads => {
                let written = flush_downloads(state)?;
                JobOutcome { text: format!("{written} downloads written"), busy: written > 0 }
            }
            Job::Rescan => JobOutcome::of(&rescan::rescan(state, None)?),
            Job::Reindex => JobOutcome::of(&maintenance::reindex(state)?),
            Job::PurgeExpired => JobOutcome::of(&maintenance::purge_expired(state, now)?),
            Job::RetryValidating => JobOutcome::of(&validation::retry_validating(state, now)?),
            Job::Retention => JobOutcome::of(&retention::run(state, now)?),
            Job::LdapSync => {
                let report = directory_sync::run(state)?;
                JobOutcome { text: report.to_string(), busy: report.did_something() }
            }
        })
    }

    /// A run by the schedule, for the tick its timer fired at (`tick::of`): skipped when another
    /// node of the cluster claimed that tick (`tick::claim`).
    fn run_scheduled(self, state: &AppState, tick: i64) -> anyhow::Result<Option<String>> {
        if self.is_per_node() {
            return self.run(state);
        }
        match tick::claim(&state.db, self.name(), tick) {
            Ok(true) => {
                tracing::debug!(job = self.name(), tick, "job runs its tick");
                self.run(state)
            }
            Ok(false) => {
                tracing::debug!(job = self.name(), tick, "job skipped: another node runs this tick");
                Ok(None)
            }
            Err(e) => {
                tracing::error!(job = self.name(), tick, error = %e, "job skipped: its tick could not be claimed");
                Ok(None)
            }
        }
    }

    /// One logged, exclusive run; `Ok(None)` when skipped because a run is in progress.
    pub fn run(self, state: &AppState) -> anyhow::Result<Option<String>> {
        Ok(run_exclusive(state, self.name(), || self.body(state))?.map(|outcome| outcome.text))
    }
}

/// Writes batched download counts to the database.
pub fn flush_downloads(state: &AppState) -> anyhow::Result<u64> {
    Ok(state.downloads.flush(&state.db)?)
}

/// Runs `body` as job `name` unless another run of it is in progress (then `Ok(None)`), and logs
/// the duration and the result either way.
pub fn run_exclusive<T: Outcome, E: Into<anyhow::Error>>(
    state: &AppState,
    name: &'static str,
    body: impl FnOnce() -> Result<T, E>,
) -> anyhow::Result<Option<T>> {
    let Some(_guard) = lock::try_acquire(&state.config, name)? else {
        tracing::warn!(job = name, "job skipped: the previous run has not finished");
        return Ok(None);
    };
    let started = std::time::Instant::now();
    tracing::debug!(job = name, "job started");
    let result = body().map_err(Into::into);
    let elapsed = started.elapsed();
    crate::metrics::job(name, result.is_ok(), elapsed);
    match result {
        Ok(result) if result.did_something() => {
            tracing::info!(job = name, ms = elapsed.as_millis(), result = %result, "job done");
            Ok(Some(result))
        }
        Ok(result) => {
            tracing::debug!(job = name, ms = elapsed.as_millis(), result = %result, "job done, nothing to do");
            Ok(Some(result))
        }
        Err(e) => {
            tracing::error!(job = name, ms = elapsed.as_millis(), error = %format!("{e:#}"), "job failed");
            Err(e)
        }
    }
}

/// Starts the scheduler with every job whose cron expression is not blank.
pub async fn start(state: &AppState) -> anyhow::Result<Option<JobScheduler>> {
    let enabled: Vec<(Job, &str, String)> = Job::ALL
        .into_iter()
        .map(|job| {
            let (key, cron) = job.cron(state);
            (job, key, cron)
        })
        .filter(|(_, _, cron)| !cron.is_empty())
        .collect();
    if enabled.is_empty() {
        return Ok(None);
    }
    let scheduler = JobScheduler::new().await?;
    for (job, key, cron) in enabled {
        let job_state = state.clone();
        let schedule = tick::schedule(&cron);
        let cron_job = CronJob::new_async(cron.as_str(), move |_, _| {
            let state = job_state.clone();
            let tick = tick::of(schedule.as_ref(), state.clock.now());
            Box::pin(async move {
                // Failures are logged by run_scheduled and run_exclusive; a panic is logged here.
                if let Err(e) = tokio::task::spawn_blocking(move || job.run_scheduled(&state, tick)).await {
                    tracing::error!(job = job.name(), error = %e, "job panicked");
                }
            })
        })
        .map_err(|e| anyhow::anyhow!("{key} = '{cron}' is not a valid cron expression: {e}"))?;
        scheduler.add(cron_job).await?;
    }
    scheduler.start().await?;
    Ok(Some(scheduler))
}

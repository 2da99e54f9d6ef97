//! One run of a job at a time, across threads, processes and nodes: the scheduler, `galley
//! rescan` from a shell and a second trigger all take the job's lock first. On SQLite (one node)
//! that is `<data-dir>/locks/<job>.lock`, an advisory file lock the OS releases when its holder
//! exits; on PostgreSQL (several nodes) a session advisory lock on the server
//! (`db::cluster::job_lock`), which the server releases when the holder's session ends. Either
//! way a crash never leaves a job locked.
use crate::config::Config;
use crate::db::cluster::job_lock::{self, AdvisoryLock};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

/// Held while a job runs; dropping it releases the lock.
#[derive(Debug)]
pub enum JobGuard {
    /// One node's lock: `<data-dir>/locks/<job>.lock`.
    Folder(File),
    /// A cluster's lock: the session holding the advisory lock.
    Cluster(Box<AdvisoryLock>),
}

/// `Ok(None)` when another run of the job holds the lock; the lock the database engine calls for
/// (the folder's for a job whose work is each node's own, `Job::is_per_node`).
pub fn try_acquire(config: &Config, job: &str) -> anyhow::Result<Option<JobGuard>> {
    let per_node = super::Job::ALL.iter().any(|j| j.name() == job && j.is_per_node());
    if config.database.is_postgres() && !per_node {
        Ok(in_cluster(&config.database.url, job)?)
    } else {
        Ok(in_folder(&config.data_dir, job)?)
    }
}

/// The lock of one node: a file in the data folder.
pub fn in_folder(data_dir: &Path, job: &str) -> std::io::Result<Option<JobGuard>> {
    let dir = data_dir.join("locks");
    std::fs::create_dir_all(&dir)?;
    let file = OpenOptions::new().create(true).truncate(false).write(true).open(dir.join(format!("{job}.lock")))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(JobGuard::Folder(file))),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// The lock of a cluster: an advisory lock on the PostgreSQL server of `url`.
pub fn in_cluster(url: &str, job: &str) -> Result<Option<JobGuard>, crate::db::DbError> {
    Ok(job_lock::try_lock(url, job)?.map(|lock| JobGuard::Cluster(Box::new(lock))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_run_is_refused_until_the_first_ends() {
        let dir = tempfile::tempdir().unwrap();
        let first = in_folder(dir.path(), "rescan").unwrap().unwrap();
        assert!(in_folder(dir.path(), "rescan").unwrap().is_none());
        assert!(in_folder(dir.path(), "reindex").unwrap().is_some());
        drop(first);
        assert!(in_folder(dir.path(), "rescan").unwrap().is_some());
    }

    #[test]
    fn sqlite_takes_the_folder_lock() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config { data_dir: dir.path().to_owned(), ..Config::default() };
        let held = try_acquire(&config, "rescan").unwrap().unwrap();
        assert!(matches!(held, JobGuard::Folder(_)));
        assert!(dir.path().join("locks/rescan.lock").exists());
    }
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::cluster::testing::scratch;

    #[test]
    fn postgresql_takes_the_cluster_lock() {
        let Some(database) = scratch() else { return };
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config { data_dir: dir.path().to_owned(), ..Config::default() };
        config.database.url = database.url();
        let held = try_acquire(&config, "purge-expired").unwrap().unwrap();
        assert!(matches!(held, JobGuard::Cluster(_)));
        assert!(try_acquire(&config, "purge-expired").unwrap().is_none());
        assert!(!dir.path().join("locks").exists());
        drop(held);
        assert!(try_acquire(&config, "purge-expired").unwrap().is_some());
    }
}

//! One run of a job at a time, across threads and processes: the scheduler, `galley rescan` from
//! a shell and a second trigger all take `<data-dir>/locks/<job>.lock` first. An advisory file
//! lock is released by the OS when its holder exits, so a crash never leaves a job locked.
use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

/// Held while a job runs; dropping it releases the lock.
#[derive(Debug)]
pub struct JobGuard {
    _file: File,
}

/// `Ok(None)` when another run of the job holds the lock.
pub fn try_acquire(data_dir: &Path, job: &str) -> std::io::Result<Option<JobGuard>> {
    let dir = data_dir.join("locks");
    std::fs::create_dir_all(&dir)?;
    let file = OpenOptions::new().create(true).truncate(false).write(true).open(dir.join(format!("{job}.lock")))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(JobGuard { _file: file })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_run_is_refused_until_the_first_ends() {
        let dir = tempfile::tempdir().unwrap();
        let first = try_acquire(dir.path(), "rescan").unwrap().unwrap();
        assert!(try_acquire(dir.path(), "rescan").unwrap().is_none());
        assert!(try_acquire(dir.path(), "reindex").unwrap().is_some());
        drop(first);
        assert!(try_acquire(dir.path(), "rescan").unwrap().is_some());
    }
}

//! Group commit: pushes that reach their commit hand their writes here, and whoever finds no
//! commit running takes everything queued (at most `MAX_BATCH`), runs each write in its own
//! savepoint of one transaction and commits once with `synchronous = FULL`. One WAL fsync and one
//! fsync per distinct directory then serve the whole batch, instead of one each per push.
//!
//! There is no committer thread and no waiting for a batch to fill: a push that finds nobody
//! committing commits at once (alone, if alone), and pushes arriving meanwhile queue up for the
//! next batch. A write refused inside its savepoint (a duplicate version, a denied owner) is
//! rolled back alone and its caller gets its own error; the others still commit. Every caller
//! learns its outcome only after the commit, so nothing is acknowledged before it is durable.
//! Waiting in the queue holds no connection and is bounded by `WAIT`.
use super::{DbError, Pool};
use crate::error::AppError;
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// About as long as the busy handler waits for the write lock (see `db::pool`): a lock held too
/// long answers every queued push with 503 at about the same time.
pub const WAIT: Duration = Duration::from_secs(10);

/// Enough to amortise the fsyncs, small enough that one batch is a few milliseconds of work.
pub const MAX_BATCH: usize = 64;

/// One caller's writes: `Ok(Err(_))` is a refusal (its savepoint is rolled back), `Err(_)` a
/// database failure of this write alone.
pub type Job<T> = Box<dyn FnOnce(&rusqlite::Connection) -> Result<Result<T, AppError>, DbError> + Send>;

struct Entry<T> {
    id: u64,
    /// Directories whose new entries must be durable before the commit (fsynced once per batch).
    dirs: Vec<PathBuf>,
    job: Job<T>,
}

struct Queue<T> {
    next_id: u64,
    waiting: Vec<Entry<T>>,
    committing: bool,
    done: HashMap<u64, Result<T, AppError>>,
}

pub struct GroupCommit<T> {
    queue: Mutex<Queue<T>>,
    finished: Condvar,
}

impl<T> Default for GroupCommit<T> {
    fn default() -> Self {
        Self {
            queue: Mutex::new(Queue { next_id: 0, waiting: Vec::new(), committing: false, done: HashMap::new() }),
            finished: Condvar::new(),
        }
    }
}

impl<T: Send> GroupCommit<T> {
    /// Runs `job` in the next committed batch and returns its outcome once that batch is durable.
    /// Blocking: call from a blocking thread.
    pub fn submit(&self, pool: &Pool, dirs: Vec<PathBuf>, job: Job<T>) -> Result<T, AppError> {
        let deadline = Instant::now() + WAIT;
        let mut queue = self.lock();
        let me = queue.next_id;
        queue.next_id += 1;
        queue.waiting.push(Entry { id: me, dirs, job });
        loop {
            if let Some(outcome) = queue.done.remove(&me) {
                return outcome;
            }
            if !queue.committing {
                queue.committing = true;
                let take = queue.waiting.len().min(MAX_BATCH);
                let batch: Vec<Entry<T>> = queue.waiting.drain(..take).collect();
                drop(queue);
                let mut leader = Leader { commit: self, ids: batch.iter().map(|e| e.id).collect(), done: None };
                leader.done = Some(run_batch(pool, batch));
                drop(leader);
                queue = self.lock();
                continue;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                // Still queued (not in a running batch): give up without a trace. Once taken into
                // a batch, the outcome must be awaited: the write may be committing.
                if let Some(at) = queue.waiting.iter().position(|e| e.id == me) {
                    queue.waiting.remove(at);
                    return Err(AppError::database_busy());
                }
                queue = self.finished.wait(queue).unwrap_or_else(PoisonError::into_inner);
                continue;
            };
            queue = self.finished.wait_timeout(queue, left).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue<T>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Hands a batch's outcomes over and lets the next leader in, also when the batch panicked (its
/// callers then get an error instead of waiting forever).
struct Leader<'a, T> {
    commit: &'a GroupCommit<T>,
    ids: Vec<u64>,
    done: Option<Vec<Result<T, AppError>>>,
}

impl<T> Drop for Leader<'_, T> {
    fn drop(&mut self) {
        let mut queue = self.commit.queue.lock().unwrap_or_else(PoisonError::into_inner);
        let outcomes = self.done.take().map(Vec::into_iter);
        let mut outcomes = outcomes.into_iter().flatten();
        for &id in &self.ids {
            let outcome = outcomes
                .next()
                .unwrap_or_else(|| Err(AppError::internal(anyhow::anyhow!("a group commit failed midway"))));
            queue.done.insert(id, outcome);
        }
        queue.committing = false;
        self.commit.finished.notify_all();
    }
}

/// The outcomes of `batch`, in its order.
fn run_batch<T>(pool: &Pool, batch: Vec<Entry<T>>) -> Vec<Result<T, AppError>> {
    // The files' directory entries first: a row must never point at a file a power loss can take.
    let dirs: BTreeSet<&PathBuf> = batch.iter().flat_map(|e| &e.dirs).collect();
    let unsynced: BTreeSet<PathBuf> = dirs.into_iter().filter(|d| !sync_dir(d)).cloned().collect();
    let mut outcomes: Vec<Option<Result<T, AppError>>> = Vec::with_capacity(batch.len());
    let mut jobs = Vec::with_capacity(batch.len());
    for entry in batch {
        if entry.dirs.iter().any(|d| unsynced.contains(d)) {
            outcomes.push(Some(Err(AppError::internal(anyhow::anyhow!("fsync of a package folder failed")))));
        } else {
            outcomes.push(None);
            jobs.push(entry.job);
        }
    }
    match commit_jobs(pool, jobs) {
        Ok(results) => {
            let mut results = results.into_iter();
            outcomes.into_iter().map(|o| o.unwrap_or_else(|| results.next().unwrap_or_else(lost))).collect()
        }
        Err(e) => outcomes.into_iter().map(|o| o.unwrap_or_else(|| Err(shared(&e)))).collect(),
    }
}

fn lost<T>() -> Result<T, AppError> {
    Err(AppError::internal(anyhow::anyhow!("a group commit lost an outcome")))
}

/// True when `dir` is durable; a failure is logged and fails the pushes whose files are there.
fn sync_dir(dir: &std::path::Path) -> bool {
    match std::fs::File::open(dir).and_then(|d| d.sync_all()) {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(dir = %dir.display(), error = %e, "fsync of a package folder failed");
            false
        }
    }
}

/// One transaction, one savepoint per job, one `synchronous = FULL` commit. `Err` when nothing of
/// the batch committed.
fn commit_jobs<T>(pool: &Pool, jobs: Vec<Job<T>>) -> Result<Vec<Result<T, AppError>>, DbError> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = pool.get()?;
    super::write_durable(&mut conn, |tx| {
        let mut results = Vec::with_capacity(jobs.len());
        for job in jobs {
            tx.execute_batch("SAVEPOINT push")?;
            let outcome = job(tx);
            let keep = matches!(outcome, Ok(Ok(_)));
            if tx.is_autocommit() {
                // SQLite rolled the whole transaction back (a full disk, an I/O error): nothing
                // of this batch is left to commit, and statements now would commit on their own.
                return Err(outcome.err().unwrap_or_else(|| DbError::Open("the group commit was rolled back".into())));
            }
            tx.execute_batch(if keep { "RELEASE push" } else { "ROLLBACK TO push; RELEASE push" })?;
            results.push(outcome.unwrap_or_else(|e| Err(AppError::from(e))));
        }
        Ok(results)
    })
}

/// The error every caller of a failed batch gets: the same kind (a full disk stays a 507, a busy
/// database a 503) for each.
fn shared(e: &DbError) -> AppError {
    match e {
        DbError::Sqlite(rusqlite::Error::SqliteFailure(code, message)) => {
            AppError::from(DbError::Sqlite(rusqlite::Error::SqliteFailure(*code, message.clone())))
        }
        DbError::Pool(_) => AppError::database_busy(),
        other => AppError::internal(anyhow::anyhow!("{other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn table() -> (tempfile::TempDir, Pool) {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("galley.db"), &crate::domain::clock::Clock::system()).unwrap();
        pool.get().unwrap().execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY)").unwrap();
        (dir, pool)
    }

    fn insert(k: &'static str) -> Job<&'static str> {
        Box::new(move |c| match c.execute("INSERT INTO t (k) VALUES (?1)", [k]) {
            Ok(_) => Ok(Ok(k)),
            Err(e) => {
                let e = DbError::from(e);
                if e.is_unique_violation() {
                    Ok(Err(AppError::Conflict(format!("{k} exists"))))
                } else {
                    Err(e)
                }
            }
        })
    }

    fn rows(pool: &Pool) -> Vec<String> {
        let conn = pool.get().unwrap();
        let mut stmt = conn.prepare("SELECT k FROM t ORDER BY k").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    }

    /// One refused write in a batch is rolled back alone; the others commit.
    #[test]
    fn a_refused_write_fails_alone() {
        let (_dir, pool) = table();
        let batch = vec![
            Entry { id: 0, dirs: vec![], job: insert("a") },
            Entry { id: 1, dirs: vec![], job: insert("a") },
            Entry { id: 2, dirs: vec![], job: insert("b") },
        ];
        let out = run_batch(&pool, batch);
        assert_eq!(out[0].as_ref().unwrap(), &"a");
        assert_eq!(out[1].as_ref().unwrap_err().to_string(), "a exists");
        assert_eq!(out[2].as_ref().unwrap(), &"b");
        assert_eq!(rows(&pool), ["a", "b"]);
    }

    /// A folder that cannot be synced fails the writes whose files are there, before any commit.
    #[test]
    fn an_unsyncable_folder_fails_its_writes() {
        let (dir, pool) = table();
        let gone = dir.path().join("gone");
        let batch = vec![
            Entry { id: 0, dirs: vec![gone], job: insert("a") },
            Entry { id: 1, dirs: vec![dir.path().to_owned()], job: insert("b") },
        ];
        let out = run_batch(&pool, batch);
        assert!(out[0].is_err());
        assert_eq!(out[1].as_ref().unwrap(), &"b");
        assert_eq!(rows(&pool), ["b"]);
    }

    /// Concurrent callers each get their own outcome; exactly one of the same key wins.
    #[test]
    fn concurrent_submits_each_get_their_outcome() {
        let (_dir, pool) = table();
        let commit = Arc::new(GroupCommit::default());
        let keys: [&'static str; 4] = ["k0", "k1", "k2", "k3"];
        let threads: Vec<_> = (0..16)
            .map(|i| {
                let (commit, pool) = (Arc::clone(&commit), pool.clone());
                std::thread::spawn(move || commit.submit(&pool, vec![], insert(keys[i % 4])))
            })
            .collect();
        let outcomes: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 4);
        assert!(outcomes.iter().filter_map(|o| o.as_ref().err()).all(|e| e.to_string().ends_with(" exists")));
        assert_eq!(rows(&pool), keys);
    }
}

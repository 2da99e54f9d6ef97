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
//!
//! Where a batch commits is a `Target`: the SQLite pool (one `BEGIN IMMEDIATE` transaction, one
//! `synchronous = FULL` commit) or PostgreSQL (one transaction per batch); the state's `Database`
//! is the target of whichever engine it holds. The jobs run on `&dyn Sql` either way, and the
//! savepoint per job is the same code for both (`in_savepoints`).
use super::sql::{self, PostgresPool, Sql};
use super::{DbError, Pool};
use crate::domain::clock::Clock;
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

/// What one caller's writes give: `Ok(Err(_))` is a refusal (its savepoint is rolled back),
/// `Err(_)` a database failure of this write alone.
pub type Outcome<T> = Result<Result<T, AppError>, DbError>;

/// One caller's writes, on either engine.
pub type Job<T> = Box<dyn for<'a> FnOnce(&'a (dyn Sql + 'a)) -> Outcome<T> + Send>;

/// Where a batch of jobs `J` commits: all of them in one transaction, each in its own savepoint.
/// `Err` when nothing of the batch committed.
pub trait Target<T, J> {
    fn commit(&self, jobs: Vec<J>) -> Result<Vec<Result<T, AppError>>, DbError>;
}

struct Entry<J> {
    id: u64,
    /// Directories whose new entries must be durable before the commit (fsynced once per batch).
    dirs: Vec<PathBuf>,
    job: J,
}

struct Queue<T, J> {
    next_id: u64,
    waiting: Vec<Entry<J>>,
    committing: bool,
    done: HashMap<u64, Result<T, AppError>>,
}

pub struct GroupCommit<T, J = Job<T>> {
    queue: Mutex<Queue<T, J>>,
    finished: Condvar,
}

impl<T, J> Default for GroupCommit<T, J> {
    fn default() -> Self {
        Self {
            queue: Mutex::new(Queue { next_id: 0, waiting: Vec::new(), committing: false, done: HashMap::new() }),
            finished: Condvar::new(),
        }
    }
}

impl<T: Send, J> GroupCommit<T, J> {
    /// Runs `job` in the next batch committed to `target` and returns its outcome once that batch
    /// is durable. Blocking: call from a blocking thread.
    pub fn submit(&self, target: &impl Target<T, J>, dirs: Vec<PathBuf>, job: J) -> Result<T, AppError> {
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
                let batch: Vec<Entry<J>> = queue.waiting.drain(..take).collect();
                drop(queue);
                let mut leader = Leader { commit: self, ids: batch.iter().map(|e| e.id).collect(), done: None };
                leader.done = Some(run_batch(target, batch));
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

    fn lock(&self) -> MutexGuard<'_, Queue<T, J>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Hands a batch's outcomes over and lets the next leader in, also when the batch panicked (its
/// callers then get an error instead of waiting forever).
struct Leader<'a, T, J> {
    commit: &'a GroupCommit<T, J>,
    ids: Vec<u64>,
    done: Option<Vec<Result<T, AppError>>>,
}

impl<T, J> Drop for Leader<'_, T, J> {
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
fn run_batch<T, J>(target: &impl Target<T, J>, batch: Vec<Entry<J>>) -> Vec<Result<T, AppError>> {
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
    match target.commit(jobs) {
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

/// SQLite: one `BEGIN IMMEDIATE` transaction, one savepoint per job, one `synchronous = FULL`
/// commit (`db::write_durable`).
impl<T> Target<T, Job<T>> for Pool {
    fn commit(&self, jobs: Vec<Job<T>>) -> Result<Vec<Result<T, AppError>>, DbError> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.get()?;
        // SQLite rolls the whole transaction back on some failures (a full disk, an I/O error):
        // then nothing of this batch is left to commit, and statements would commit on their own.
        super::write_durable(&mut conn, |tx| in_savepoints(tx, jobs, |job| job(tx), || tx.is_autocommit()))
    }
}

/// A PostgreSQL database as a batch's target: one transaction per batch, begun with the state's
/// clock (`sql::begin`), durable at its commit as every PostgreSQL commit is by default.
pub struct PostgresTarget<'a> {
    pub pool: &'a PostgresPool,
    pub clock: &'a Clock,
}

impl<T> Target<T, Job<T>> for PostgresTarget<'_> {
    fn commit(&self, jobs: Vec<Job<T>>) -> Result<Vec<Result<T, AppError>>, DbError> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let mut client = self.pool.get()?;
        let tx = sql::begin(&mut client, self.clock)?;
        // A failed statement leaves the transaction aborted only up to the savepoint, which
        // `ROLLBACK TO` restores: PostgreSQL never rolls the whole batch back by itself.
        let results = in_savepoints(&tx, jobs, |job| job(&tx), || false)?;
        tx.commit()?;
        Ok(results)
    }
}

/// Runs each job in its own savepoint of the transaction `tx`: kept when it succeeded, rolled
/// back alone when it was refused or failed. `Err` when the transaction itself is gone
/// (`rolled_back`), so the caller must not commit.
fn in_savepoints<T, J>(
    tx: &dyn Sql,
    jobs: Vec<J>,
    run: impl Fn(J) -> Outcome<T>,
    rolled_back: impl Fn() -> bool,
) -> Result<Vec<Result<T, AppError>>, DbError> {
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        tx.execute("SAVEPOINT push", &[])?;
        let outcome = run(job);
        let keep = matches!(outcome, Ok(Ok(_)));
        if rolled_back() {
            return Err(outcome.err().unwrap_or_else(|| DbError::Open("the group commit was rolled back".into())));
        }
        if !keep {
            tx.execute("ROLLBACK TO push", &[])?;
        }
        tx.execute("RELEASE push", &[])?;
        results.push(outcome.unwrap_or_else(|e| Err(AppError::from(e))));
    }
    Ok(results)
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

    fn table() -> (tempfile::TempDir, Pool) {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("galley.db"), &crate::domain::clock::Clock::system()).unwrap();
        pool.get().unwrap().execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY)").unwrap();
        (dir, pool)
    }

    fn insert(k: &'static str) -> Job<&'static str> {
        Box::new(move |c| match c.execute("INSERT INTO t (k) VALUES (?1)", crate::values![k]) {
            Ok(_) => Ok(Ok(k)),
            Err(e) if e.is_unique_violation() => Ok(Err(AppError::Conflict(format!("{k} exists")))),
            Err(e) => Err(e),
        })
    }

    fn rows(pool: &Pool) -> Vec<String> {
        let conn = pool.get().unwrap();
        let mut stmt = conn.prepare("SELECT k FROM t ORDER BY k").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
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
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::{postgres_url, ScratchDatabase};
    use crate::values;
    use std::sync::Arc;

    /// Inserts `k`: refused (its savepoint rolled back) when it exists. The same code serves both
    /// engines' jobs.
    fn insert(db: &dyn Sql, k: &'static str) -> Outcome<&'static str> {
        match db.execute("INSERT INTO t (k) VALUES (?1)", values![k]) {
            Ok(_) => Ok(Ok(k)),
            Err(e) if e.is_unique_violation() => Ok(Err(AppError::Conflict(format!("{k} exists")))),
            Err(e) => Err(e),
        }
    }

    fn rows(db: &dyn Sql) -> Vec<String> {
        db.query_map("SELECT k FROM t ORDER BY k", values![], |r| r.get(0)).unwrap()
    }

    /// Sixteen concurrent pushes of four keys through `target`: each caller gets its own
    /// outcome, exactly one per key wins, and a refused write took nothing else with it.
    fn concurrent_submits<J: Send + 'static, G: Target<&'static str, J> + Sync>(
        target: &G,
        job: impl Fn(&'static str) -> J + Sync,
    ) {
        let commit = Arc::new(GroupCommit::<&'static str, J>::default());
        let keys: [&'static str; 4] = ["k0", "k1", "k2", "k3"];
        let outcomes: Vec<Result<&'static str, AppError>> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..16)
                .map(|i| {
                    let (commit, job) = (Arc::clone(&commit), &job);
                    s.spawn(move || commit.submit(target, vec![], job(keys[i % 4])))
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 4);
        assert!(outcomes.iter().filter_map(|o| o.as_ref().err()).all(|e| e.to_string().ends_with(" exists")));
        let batch = vec![
            Entry { id: 0, dirs: vec![], job: job("a") },
            Entry { id: 1, dirs: vec![], job: job("a") },
            Entry { id: 2, dirs: vec![], job: job("b") },
        ];
        let out = run_batch(target, batch);
        assert_eq!(out[0].as_ref().unwrap(), &"a");
        assert_eq!(out[1].as_ref().unwrap_err().to_string(), "a exists");
        assert_eq!(out[2].as_ref().unwrap(), &"b");
    }

    #[test]
    fn batches_commit_with_a_savepoint_per_write_on_both_engines() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::system();
        let pool = crate::db::open(&dir.path().join("galley.db"), &clock).unwrap();
        pool.get().unwrap().execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY)").unwrap();
        concurrent_submits(&pool, |k| -> Job<&'static str> { Box::new(move |c| insert(c, k)) });
        assert_eq!(rows(&*pool.get().unwrap()), ["a", "b", "k0", "k1", "k2", "k3"]);

        let Some(url) = postgres_url() else { return };
        let database = ScratchDatabase::create(&url);
        let pool = sql::open_pool(&database.url(), 4).unwrap();
        pool.get().unwrap().batch_execute("CREATE TABLE t (k TEXT PRIMARY KEY)").unwrap();
        let target = PostgresTarget { pool: &pool, clock: &clock };
        concurrent_submits(&target, |k| -> Job<&'static str> { Box::new(move |c| insert(c, k)) });
        let mut client = pool.get().unwrap();
        assert_eq!(rows(&sql::begin(&mut client, &clock).unwrap()), ["a", "b", "k0", "k1", "k2", "k3"]);
    }
}

//! Keeping the rendered documents trustworthy across crashes, power losses and damaged packs.
//!
//! The documents are derived from the database, so packs are written without an fsync each (two
//! per push cost a sixth of the push rate). What an fsync would guard against, a power loss
//! leaving a pointer to a pack whose data never reached the disk, is caught instead: a process
//! that renders removes the `.flushed` marker when it starts and writes it back after a `syncfs`
//! when it ends cleanly; a server that finds no marker re-renders in the background the ids that
//! may be torn. A pack damaged anyway (its checksums say so) is rendered again when a read finds it.
//!
//! Which ids may be torn: every process takes an epoch at start (above the last flushed one) and
//! records it on an id (`packages.docs_epoch`) before it first writes that id's documents. A clean
//! end writes its epoch to `.flushed-epoch` after the `syncfs`, before the marker. After an unclean
//! stop only the ids whose epoch is above the last flushed one were written since that flush;
//! the rest are on disk as the flush left them. Without a `.flushed-epoch` (a folder from before
//! this was recorded) every id is rendered again, as before.
//!
//! Whether the database changed while no process rendered: a clean end also records a summary of
//! the rows documents are rendered from (`.flushed-database`, see `db::recovery::fingerprint`).
//! A start that finds the marker and the same summary knows the documents on disk match the
//! database, so the start-up sweep can wait until the server answers; a database put back by hand,
//! or changed by a process that did not record it, makes the sweep run first, as after a crash.
use super::{pack, DocSet, FeedDocs};
use crate::db::sql::Sql;
use crate::error::AppError;
use std::path::Path;
use std::sync::atomic::Ordering;

/// Present while every rendered file is known to be on disk (see the module comment). Ids never
/// start with a dot, so it cannot collide with an id's folder.
pub(super) const FLUSHED: &str = ".flushed";
/// The epoch of the process that wrote the marker last (kept while the marker is removed).
pub(super) const FLUSHED_EPOCH: &str = ".flushed-epoch";
/// The database's fingerprint when the marker was written last (see the module comment).
pub(super) const FLUSHED_DATABASE: &str = ".flushed-database";

/// What opening the folder found out about its last writer.
pub(super) struct Opened {
    pub flushed_at_open: bool,
    pub epoch: i64,
    pub flushed_epoch: Option<i64>,
    /// What `FLUSHED_DATABASE` held; only the marker's presence makes it trustworthy.
    pub flushed_database: Option<String>,
}

impl Opened {
    pub fn open(root: &Path) -> std::io::Result<Self> {
        // A new folder holds nothing that could be torn.
        let is_new = !root.exists();
        std::fs::create_dir_all(root)?;
        // From here on this process may write documents that are not on disk yet.
        let flushed_at_open = std::fs::remove_file(root.join(FLUSHED)).is_ok() || is_new;
        let recorded =
            std::fs::read_to_string(root.join(FLUSHED_EPOCH)).ok().and_then(|s| s.trim().parse::<i64>().ok());
        let flushed_epoch = if is_new { Some(0) } else { recorded };
        let flushed_database = std::fs::read_to_string(root.join(FLUSHED_DATABASE)).ok().filter(|_| !is_new);
        // Wall-clock milliseconds keep epochs apart across processes without a shared counter; a
        // clock set back is caught by staying above the last flushed epoch (an id keeps the
        // highest epoch that wrote it, so a late one only makes more ids suspect, never fewer).
        let now_ms = chrono::Utc::now().timestamp_millis();
        let epoch = now_ms.max(flushed_epoch.unwrap_or(0) + 1);
        Ok(Self { flushed_at_open, epoch, flushed_epoch, flushed_database })
    }
}

impl FeedDocs {
    /// True when the last process that rendered documents did not end cleanly (a crash, a power
    /// loss): some documents may be torn, so the ids it wrote should be rendered again.
    pub fn needs_repair(&self) -> bool {
        !self.flushed_at_open
    }

    /// True when the last process that rendered ended cleanly and the database is as it left it:
    /// the documents on disk then match the database (see the module comment).
    pub fn unchanged_since_clean_stop(&self, db: &crate::db::Database) -> Result<bool, AppError> {
        let Some(recorded) = self.flushed_database.as_deref().filter(|_| self.flushed_at_open) else {
            return Ok(false);
        };
        Ok(recorded == crate::db::recovery::fingerprint(&db.connection()?)?)
    }

    /// Records in the database which ids must be rendered again (forced): those written since the
    /// last flush, or every id when that flush is unknown. Recorded so the need survives a stop
    /// half-way; `render_stale` then does the work and resumes after a restart. Returns how many.
    pub fn mark_for_repair(&self, db: &crate::db::Database) -> Result<u64, AppError> {
        let conn = db.connection()?;
        let n = match self.flushed_epoch {
            Some(flushed) => crate::db::recovery::force_render_since(&conn, flushed)?,
            None => crate::db::recovery::force_render_all(&conn)?,
        };
        self.repaired.store(true, Ordering::Relaxed);
        Ok(n)
    }

    /// A pack that fails its checks is never served: logged, then rendered again from the
    /// database at once (forced, under a new generation name) when the database is at hand, else
    /// its pointer is removed and the next start's check renders it. Returns the new set.
    pub(super) fn repair_damaged(&self, id_lower: &str, error: &pack::PackError) -> Option<DocSet> {
        if matches!(error, pack::PackError::Unpacked) {
            tracing::info!(id = id_lower, "documents from before packs: rendering them into a pack now");
        } else {
            tracing::error!(id = id_lower, error = %error, "a rendered document pack is damaged: rendering it again");
        }
        self.forget(id_lower);
        let Some(db) = &self.db else {
            let _ = std::fs::remove_file(self.root.join(id_lower).join(super::generations::CURRENT));
            return None;
        };
        let render =
            || db.connection().map_err(AppError::from).and_then(|conn| self.refresh_with(&conn, id_lower, true));
        // Found on a request's path (a lookup or a read on the executor's thread), where
        // PostgreSQL's synchronous client cannot run (it drives a runtime of its own): rare
        // enough for a thread of its own.
        let rendered = if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|scope| scope.spawn(render).join())
                .unwrap_or_else(|_| Err(AppError::internal(anyhow::anyhow!("rendering again panicked"))))
        } else {
            render()
        };
        if let Err(e) = rendered {
            tracing::error!(id = id_lower, error = %e, "rendering a damaged document pack again failed");
            return None;
        }
        self.load_from_disk(id_lower).ok()
    }

    /// Asks background renders to stop after the id at hand (SIGTERM).
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
    }

    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }

    /// Compares the rendered documents with the database, changing nothing: the id folders no
    /// available version backs, and the ids whose documents are missing, damaged or list other
    /// versions. Once `stop` says so, ends early with what it found.
    pub fn compare_with_database(
        &self,
        conn: &dyn Sql,
        stop: &dyn Fn() -> bool,
    ) -> Result<(Vec<String>, Vec<String>), AppError> {
        let available = crate::db::recovery::available_by_id(conn)?;
        let mut unbacked = Vec::new();
        for entry in std::fs::read_dir(&self.root)?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && entry.path().is_dir() && !available.contains_key(&name) {
                unbacked.push(name);
            }
        }
        let mut stale: Vec<String> = available
            .iter()
            .take_while(|_| !stop())
            .filter(|(id, versions)| !self.load_from_disk(id).is_ok_and(|set| &set.versions == *versions))
            .map(|(id, _)| id.clone())
            .collect();
        unbacked.sort();
        stale.sort();
        Ok((unbacked, stale))
    }

    /// Puts the rendered documents in line with the database: folders of ids with no available
    /// version are removed at once (never serve what the database does not back); ids whose
    /// documents are missing or list other versions are marked for rendering. Returns both counts.
    /// Safe while the server runs (renders go on meanwhile); ends early once `stop` says so.
    pub fn check_against_database(
        &self,
        db: &crate::db::Database,
        stop: &dyn Fn() -> bool,
    ) -> Result<(usize, usize), AppError> {
        let conn = db.connection()?;
        let (unbacked, stale) = self.compare_with_database(&conn, stop)?;
        let mut removed = 0;
        for name in &unbacked {
            removed += usize::from(self.remove_unbacked(&conn, name)?);
        }
        // A stale mark on an id a push rendered meanwhile costs one render that writes nothing.
        crate::db::recovery::mark_stale(&conn, &stale)?;
        Ok((removed, stale.len()))
    }

    /// Removes an id's folder when, asked again under its render lock, the database backs no
    /// version of it: a push that committed since the comparison keeps the folder it renders.
    fn remove_unbacked(&self, conn: &dyn Sql, id_lower: &str) -> Result<bool, AppError> {
        let _guard = self.render_lock(id_lower)?;
        if crate::db::packages::load(conn, id_lower)?.is_some_and(|p| p.available().next().is_some()) {
            return Ok(false);
        }
        self.forget(id_lower);
        match std::fs::remove_dir_all(self.root.join(id_lower)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        self.wrote.store(true, Ordering::Relaxed);
        Ok(true)
    }

    /// Flushes every rendered document to disk and, when they were whole at start (or were all
    /// rendered again since), writes the marker that spares the next start a full render.
    pub fn close(&self) {
        if self.wrote.load(Ordering::Relaxed) {
            let flushed =
                std::fs::File::open(&self.root).and_then(|dir| rustix::fs::syncfs(&dir).map_err(std::io::Error::from));
            if let Err(e) = flushed {
                tracing::warn!(error = %e, "flushing the rendered feed documents failed");
                return;
            }
        }
        if self.flushed_at_open || self.repaired.load(Ordering::Relaxed) {
            // The epoch first: a stop between the two leaves no marker, and the epoch covers only
            // writes the syncfs above flushed.
            if let Err(e) =
                crate::store::fs::write_atomic(&self.root.join(FLUSHED_EPOCH), self.epoch.to_string().as_bytes())
            {
                tracing::warn!(error = %e, "writing the feed documents' flushed epoch failed");
                return;
            }
            self.record_database();
            if let Err(e) = crate::store::fs::write_atomic(&self.root.join(FLUSHED), b"") {
                tracing::warn!(error = %e, "writing the feed documents' flushed marker failed");
            }
        }
    }

    /// Writes the database's fingerprint beside the marker, or removes an older one when it cannot
    /// be read: the next start then sweeps before serving, as if the database had changed.
    fn record_database(&self) {
        let path = self.root.join(FLUSHED_DATABASE);
        let fingerprint = self.db.as_ref().map(|db| {
            db.connection().map_err(AppError::from).and_then(|conn| Ok(crate::db::recovery::fingerprint(&conn)?))
        });
        let written = match fingerprint {
            Some(Ok(fingerprint)) => crate::store::fs::write_atomic(&path, fingerprint.as_bytes()),
            Some(Err(e)) => {
                tracing::warn!(error = %e, "reading the database's fingerprint at the end failed");
                std::fs::remove_file(&path)
            }
            None => std::fs::remove_file(&path),
        };
        if let Err(e) = written.or_else(|e| if e.kind() == std::io::ErrorKind::NotFound { Ok(()) } else { Err(e) }) {
            tracing::warn!(error = %e, "recording the database's fingerprint failed");
        }
    }

    /// Re-renders every id from the database (`galley reindex`); ids whose documents did not
    /// change keep them as they are.
    pub fn render_all(&self, db: &crate::db::Database) -> Result<usize, AppError> {
        let conn = db.connection()?;
        let ids = crate::db::packages::all_ids(&conn)?;
        let mut done = 0;
        for id in ids.iter().take_while(|_| !self.stopping()) {
            self.refresh(&conn, id)?;
            done += 1;
        }
        Ok(done)
    }

    /// Renders the ids whose documents lag their last change or were marked for a forced render
    /// (start-up repair after a crash); stops early at shutdown. Returns how many it rendered.
    pub fn render_stale(&self, db: &crate::db::Database) -> Result<usize, AppError> {
        let conn = db.connection()?;
        // Forced ids have docs_rendered = -1, below any change count: they are among the stale.
        let forced = crate::db::recovery::ids_forced(&conn)?;
        let mut ids = crate::db::packages::ids_with_stale_docs(&conn)?;
        // Ids whose documents lag a change first: those serve wrong answers until rendered; the
        // forced ones are only suspected torn.
        ids.sort_by_key(|id| forced.contains(id));
        let mut done = 0;
        for id in ids.iter().take_while(|_| !self.stopping()) {
            self.refresh_with(&conn, id, forced.contains(id))?;
            done += 1;
        }
        Ok(done)
    }
}

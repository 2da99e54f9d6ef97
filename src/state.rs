//! Everything a request or job needs, built once at start and shared: a bundle of adapters
//! (database, store, scanner, mail, caches, limits) that services receive. It is assembled in
//! `app::build_state`, the composition root, so that nothing here depends on the services.
use crate::cache::downloads::DownloadCounter;
use crate::cache::feed_access::FeedAccessCache;
use crate::cache::feed_docs::FeedDocs;
use crate::cache::mirror::Mirror;
use crate::cache::search_index::LiveSearchIndex;
use crate::cache::symbol_index::SymbolIndex;
use crate::config::Config;
use crate::db::group_commit::GroupCommit;
use crate::db::Database;
use crate::domain::clock::Clock;
use crate::limits::in_flight::InFlight;
use crate::limits::login_limiter::LoginLimiter;
use crate::mail::postman::Postman;
use crate::protocol::urls::UrlGenerator;
use crate::scan::notify::Notifier;
use crate::scan::Scanner;
use crate::store::guard::DataDirGuard;
use crate::store::{Holding, PackageStore};
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Database,
    pub store: Arc<dyn PackageStore>,
    pub docs: Arc<FeedDocs>,
    pub downloads: Arc<DownloadCounter>,
    pub feed_access: Arc<FeedAccessCache>,
    pub urls: UrlGenerator,
    /// Server key for the keyed hash of API keys (`<data-dir>/secret.key`).
    pub server_key: Arc<[u8]>,
    /// Sends mail on its own thread (SMTP or the outbox folder).
    pub mail: Arc<Postman>,
    /// Failed sign-ins per account and address.
    pub logins: Arc<LoginLimiter>,
    pub scanner: Arc<dyn Scanner>,
    pub notifier: Arc<dyn Notifier>,
    /// Uploads waiting for their scan (`<data-dir>/pending/`), never served.
    pub pending: Arc<Holding>,
    /// Infected packages kept by `[scan] keep_infected` (`<data-dir>/quarantine/`), never served.
    pub quarantine: Arc<Holding>,
    /// The data folder this process opened: writes ask it whether they can land there.
    pub disk: Arc<DataDirGuard>,
    /// Id+versions being pushed now (see `limits::in_flight`).
    pub pushes: Arc<InFlight>,
    /// Pushes committing together, one durable commit per batch (see `db::group_commit`); the
    /// package and version keys each push inserted.
    pub commits: Arc<GroupCommit<(i64, i64)>>,
    /// The start-up sweep is running while the server serves (see `services::recovery`).
    pub sweeping: Arc<std::sync::atomic::AtomicBool>,
    /// The symbol server's lookups, in memory (see `cache::symbol_index`).
    pub symbols: Arc<SymbolIndex>,
    /// The `[[upstream]]` feeds ids not held here are read through from.
    pub mirror: Arc<Mirror>,
    /// The `[[oidc]]` providers people may sign in with.
    pub oidc: Arc<crate::oidc::Providers>,
    /// The search index in memory, following the database (see `cache::search_index`).
    pub search: Arc<LiveSearchIndex>,
    /// "Now" for every decision by time and every stored timestamp (tests advance it).
    pub clock: Clock,
}

impl AppState {
    /// Lets queued mail go out before a one-shot command exits.
    pub fn finish(&self) {
        self.docs.close();
        if !self.mail.flush(std::time::Duration::from_mins(1)) {
            tracing::warn!("some queued mail was not sent before exit; see the mail log");
        }
    }

    /// A pooled connection of the database, engine-neutral (`&dyn Sql`).
    pub fn conn(&self) -> Result<crate::db::Connection, crate::error::AppError> {
        Ok(self.db.connection()?)
    }
}

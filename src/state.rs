//! Everything a request or job needs, built once at start and shared.
use crate::config::Config;
use crate::db::Pool;
use crate::mail::postman::Postman;
use crate::protocol::urls::UrlGenerator;
use crate::scan::notify::Notifier;
use crate::scan::Scanner;
use crate::services::downloads::DownloadCounter;
use crate::services::feed_access::FeedAccessCache;
use crate::services::feed_docs::FeedDocs;
use crate::services::login_limiter::LoginLimiter;
use crate::store::{Holding, PackageStore};
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Pool,
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
    pub disk: Arc<crate::store::guard::DataDirGuard>,
    /// Id+versions being pushed now (see `services::in_flight`).
    pub pushes: Arc<crate::services::in_flight::InFlight>,
    /// Taken by a push around its commit (see `services::publish::commit`).
    pub commit_gate: Arc<crate::services::commit_gate::CommitGate>,
    /// The `[[upstream]]` feeds ids not held here are read through from.
    pub mirror: Arc<crate::services::mirror::Mirror>,
}

impl AppState {
    /// Opens the data directory: database (migrated), package store, rendered feed documents.
    pub fn open(config: Config) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)?;
        let db = crate::db::open(&config.database_path())?;
        let store = Arc::new(crate::store::FsStore::new(config.packages_dir())?);
        let urls = UrlGenerator::new(&config.public_base_url());
        let docs = Arc::new(FeedDocs::new(config.cache_dir(), urls.clone(), &config.cache)?);
        let server_key = load_or_create_server_key(&config.secret_path())?;
        let mail = crate::services::notify::start_postman(&config, db.clone())?;
        let window = std::time::Duration::from_mins(u64::from(config.accounts.login_window_minutes));
        let logins = LoginLimiter::new(config.accounts.login_max_failures, window);
        std::fs::create_dir_all(config.tmp_dir())?;
        let scanner = crate::scan::from_config(&config);
        let mail = Arc::new(mail);
        let notifier = Arc::new(crate::services::notify::MailNotifier::new(mail.clone(), db.clone()));
        let pending = Arc::new(Holding::new(config.pending_dir())?);
        let quarantine = Arc::new(Holding::new(config.quarantine_dir())?);
        let disk = Arc::new(crate::store::guard::DataDirGuard::new(
            &config.data_dir,
            &config.database_path(),
            config.storage.min_free_mb,
        )?);
        // Best effort: a full or read-only disk must not keep the server from serving reads.
        let _ = disk.keep_reserve();
        let mirror = Arc::new(crate::services::mirror::Mirror::from_config(&config)?);
        Ok(Self {
            config: Arc::new(config),
            db,
            store,
            docs,
            downloads: Arc::new(DownloadCounter::default()),
            feed_access: Arc::new(FeedAccessCache::default()),
            urls,
            server_key: server_key.into(),
            mail,
            logins: Arc::new(logins),
            scanner,
            notifier,
            pending,
            quarantine,
            disk,
            pushes: Arc::default(),
            commit_gate: Arc::default(),
            mirror,
        })
    }

    /// Lets queued mail go out before a one-shot command exits.
    pub fn finish(&self) {
        self.docs.close();
        if !self.mail.flush(std::time::Duration::from_mins(1)) {
            tracing::warn!("some queued mail was not sent before exit; see the mail log");
        }
    }

    pub fn conn(&self) -> Result<crate::db::Conn, crate::error::AppError> {
        Ok(self.db.get()?)
    }
}

fn load_or_create_server_key(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    use rand::RngCore;
    if let Ok(bytes) = std::fs::read(path) {
        anyhow::ensure!(bytes.len() >= 32, "{} is damaged (shorter than 32 bytes)", path.display());
        return Ok(bytes);
    }
    let mut key = vec![0u8; 32];
    rand::rng().fill_bytes(&mut key);
    crate::store::fs::write_atomic(path, &key)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(key)
}

//! The composition root: opens the data directory and assembles the adapters into an `AppState`.
//! It lives above the services because the mail notifier and the postman's outcome log are
//! service code handed to the adapters.
use crate::cache::feed_docs::FeedDocs;
use crate::cache::search_index::LiveSearchIndex;
use crate::config::{CacheConfig, Config};
use crate::domain::clock::Clock;
use crate::limits::login_limiter::LoginLimiter;
use crate::protocol::urls::UrlGenerator;
use crate::state::AppState;
use crate::store::Holding;
use std::sync::Arc;

impl AppState {
    /// Opens the data directory: database (migrated), package store, rendered feed documents.
    pub fn open(config: Config) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)?;
        let clock = Clock::system();
        let db = open_database(&config, &clock)?;
        let store = super::object_store::open(&config, &db)?;
        let mirror = Arc::new(crate::cache::mirror::Mirror::from_config(&config)?);
        let symbols = crate::cache::symbol_index::SymbolIndex::load(crate::db::symbols::all(&db.connection()?)?);
        let urls = UrlGenerator::new(&config.public_base_url());
        let oidc = Arc::new(crate::oidc::Providers::new(&config.oidc, &urls)?);
        let docs = Arc::new(FeedDocs::new(config.cache_dir(), urls.clone(), &config.cache)?.with_database(db.clone()));
        let server_key = load_or_create_server_key(&config.secret_path())?;
        let mail = crate::services::notify::start_postman(&config, db.clone())?;
        let window = std::time::Duration::from_mins(u64::from(config.accounts.login_window_minutes));
        // Several nodes on one PostgreSQL share one budget per guesser; one node counts in memory.
        let logins = match db.postgres_pool() {
            Some(pool) => LoginLimiter::shared(config.accounts.login_max_failures, window, pool.clone()),
            None => LoginLimiter::new(config.accounts.login_max_failures, window),
        };
        std::fs::create_dir_all(config.tmp_dir())?;
        let scanner = crate::scan::from_config(&config);
        let mail = Arc::new(mail);
        let notifier = Arc::new(crate::services::notify::MailNotifier::new(mail.clone(), db.clone()));
        let pending = Arc::new(Holding::new(config.pending_dir())?);
        let quarantine = Arc::new(Holding::new(config.quarantine_dir())?);
        let disk = Arc::new(crate::store::guard::DataDirGuard::new(
            &config.data_dir,
            db.sqlite_maintenance().is_some().then(|| config.database_path()).as_deref(),
            config.storage.min_free_mb,
        )?);
        let search = Arc::new(LiveSearchIndex::new(CacheConfig::bytes(config.cache.search_mb)));
        // Best effort: a full or read-only disk must not keep the server from serving reads.
        let _ = disk.keep_reserve();
        Ok(Self {
            config: Arc::new(config),
            db,
            store,
            docs,
            downloads: Arc::new(crate::cache::downloads::DownloadCounter::default()),
            feed_access: Arc::new(crate::cache::feed_access::FeedAccessCache::default()),
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
            commits: Arc::default(),
            sweeping: Arc::default(),
            symbols: Arc::new(symbols),
            mirror,
            oidc,
            search,
            clock,
        })
    }
}

/// The database `[database]` names, migrated: the PostgreSQL server of `url`, or the embedded
/// SQLite file in the data folder when `url` is empty.
pub fn open_database(config: &Config, clock: &Clock) -> Result<crate::db::Database, crate::db::DbError> {
    if config.database.is_postgres() {
        let pool = crate::db::sql::open_pool(&config.database.url, config.database.max_connections)?;
        Ok(crate::db::Database::postgres(pool, clock.clone()))
    } else {
        Ok(crate::db::Database::sqlite(crate::db::open(&config.database_path(), clock)?))
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

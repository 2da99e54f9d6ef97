//! Runs one test body on both engines: an in-memory SQLite database and a scratch database on the
//! real PostgreSQL server that `tests/postgres/run.py` starts (its URL in `GALLEY_TEST_POSTGRES_URL`).
//! Without that URL the PostgreSQL half does not pass silently: the test fails, naming the two
//! ways out (run it through `tests/postgres/run.py`, or say `GALLEY_TEST_POSTGRES=skip`, as
//! `test.sh` does for its plain `cargo test` step because its PostgreSQL step runs them again).
use super::{begin, Engine, Sql};
use crate::db::DbError;
use crate::domain::clock::Clock;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

pub const URL_VAR: &str = "GALLEY_TEST_POSTGRES_URL";
pub const OPT_OUT_VAR: &str = "GALLEY_TEST_POSTGRES";

/// The server's URL, `None` when the PostgreSQL half was explicitly skipped.
pub fn postgres_url() -> Option<String> {
    if let Ok(url) = std::env::var(URL_VAR) {
        if !url.is_empty() {
            return Some(url);
        }
    }
    assert!(
        std::env::var(OPT_OUT_VAR).as_deref() == Ok("skip"),
        "this test also runs on PostgreSQL: run it through `python3 tests/postgres/run.py` (which starts \
         a server and sets {URL_VAR}), or set {OPT_OUT_VAR}=skip to run only its SQLite half"
    );
    None
}

/// A database of its own on the test server, dropped (with its connections) when done.
pub struct ScratchDatabase {
    admin: postgres::Config,
    name: String,
}

impl ScratchDatabase {
    pub fn create(url: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let admin = postgres::Config::from_str(url).expect("GALLEY_TEST_POSTGRES_URL is a PostgreSQL URL");
        let name = format!("galley_test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
        let mut client = admin.connect(postgres::NoTls).expect("the test PostgreSQL server answers");
        // Two statements: one batch would be one transaction, which CREATE DATABASE refuses.
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
        client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        Self { admin, name }
    }

    pub fn url(&self) -> String {
        let host = match self.admin.get_hosts().first() {
            Some(postgres::config::Host::Tcp(host)) => host.clone(),
            _ => "127.0.0.1".to_owned(),
        };
        let port = self.admin.get_ports().first().copied().unwrap_or(5432);
        let user = self.admin.get_user().unwrap_or("postgres");
        format!("postgres://{user}@{host}:{port}/{}", self.name)
    }

    pub fn connect(&self) -> postgres::Client {
        let mut config = self.admin.clone();
        config.dbname(&self.name);
        config.connect(postgres::NoTls).unwrap()
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if let Ok(mut client) = self.admin.connect(postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

enum Connection {
    Sqlite(rusqlite::Connection),
    /// The database is held only to be dropped after the client, with the test.
    Postgres {
        client: Box<postgres::Client>,
        _database: Box<ScratchDatabase>,
    },
}

/// A migrated, empty database of one engine, with the clock its rows are stamped with.
pub struct TestDb {
    connection: Connection,
    pub clock: Clock,
}

impl TestDb {
    fn sqlite() -> Self {
        let clock = Clock::system();
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        crate::db::migrate::run(&mut conn).unwrap();
        crate::db::clock::register(&conn, clock.clone()).unwrap();
        crate::db::version_order::register(&conn).unwrap();
        Self { connection: Connection::Sqlite(conn), clock }
    }

    fn postgres(url: &str) -> Self {
        let database = ScratchDatabase::create(url);
        let mut client = database.connect();
        crate::db::migrate_postgres::run(&mut client).unwrap();
        Self {
            connection: Connection::Postgres { client: Box::new(client), _database: Box::new(database) },
            clock: Clock::system(),
        }
    }

    pub fn engine(&self) -> Engine {
        match self.connection {
            Connection::Sqlite(_) => Engine::Sqlite,
            Connection::Postgres { .. } => Engine::Postgres,
        }
    }

    /// Runs `f` in a transaction, committed when it returns `Ok`, as `services::in_transaction`
    /// does; each call reads the clock afresh, so a test may advance it between calls.
    pub fn tx<T>(&mut self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        match &mut self.connection {
            Connection::Sqlite(conn) => {
                let tx = conn.transaction()?;
                let value = f(&tx)?;
                tx.commit()?;
                Ok(value)
            }
            Connection::Postgres { client, .. } => {
                let tx = begin(client, &self.clock)?;
                let value = f(&tx)?;
                tx.commit()?;
                Ok(value)
            }
        }
    }
}

/// Runs `test` on SQLite, then on PostgreSQL (see the module's comment for when that is skipped).
pub fn on_both_engines(test: impl Fn(&mut TestDb)) {
    eprintln!("on SQLite");
    test(&mut TestDb::sqlite());
    if let Some(url) = postgres_url() {
        eprintln!("on PostgreSQL");
        test(&mut TestDb::postgres(&url));
    }
}

//! Receiving change notices (`notices`): a thread with a PostgreSQL connection of its own, not
//! one of the pool's (a pooled connection goes back to the pool and would stop listening), that
//! runs `LISTEN galley_changes` and hands each id another node changed to a callback.
//!
//! A connection that drops (a restarted server, a failover, an administrator's
//! `pg_terminate_backend`) is reconnected with a bounded backoff. Notices sent while it was down
//! are lost (PostgreSQL queues them only for connected listeners), so after every reconnect the
//! callback is told `Change::Everything`: whatever it keeps may be stale.
use super::notices::{parse, CHANNEL};
use super::NodeId;
use crate::db::DbError;
use postgres::fallible_iterator::FallibleIterator;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the callback is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Another node committed a change of this id (lowercase).
    Id(String),
    /// The listener reconnected: changes may have been missed, refresh everything.
    Everything,
}

/// How long one wait for notices lasts: the bound on how late a stop is noticed.
const WAIT: Duration = Duration::from_millis(250);
/// Idle this long, the connection is checked with a round trip: a peer that vanished without
/// closing the socket (a network partition) would otherwise look like a quiet one forever.
const CHECK_IDLE_AFTER: Duration = Duration::from_secs(10);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// The name the listener's session shows in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "galley-listener";

/// The running listener; dropping it stops the thread (within `WAIT`, or a connect attempt).
pub struct Listener {
    stop: Arc<AtomicBool>,
    connections: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    /// Starts listening on the server of `url` (`[database] url`) as `node`, whose own notices
    /// are skipped. The first connection is made by the thread: a server down at start is retried.
    pub fn start(url: &str, node: NodeId, on_change: impl Fn(Change) + Send + 'static) -> Result<Self, DbError> {
        let mut config = super::parse_url(url)?;
        config.application_name(APPLICATION_NAME).connect_timeout(MAX_BACKOFF);
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicU64::new(0));
        let run = Run { config, node, stop: stop.clone(), connections: connections.clone() };
        let thread = std::thread::Builder::new()
            .name("galley-listener".into())
            .spawn(move || run.forever(&on_change))
            .map_err(|e| DbError::Open(format!("the change listener's thread: {e}")))?;
        Ok(Self { stop, connections, thread: Some(thread) })
    }

    /// How many times the listener has connected and run `LISTEN` (1 once started, +1 per
    /// reconnect).
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Run {
    config: postgres::Config,
    node: NodeId,
    stop: Arc<AtomicBool>,
    connections: Arc<AtomicU64>,
}

impl Run {
    fn forever(&self, on_change: &dyn Fn(Change)) {
        let mut backoff = FIRST_BACKOFF;
        while !self.stopped() {
            match self.connect() {
                Ok(mut client) => {
                    backoff = FIRST_BACKOFF;
                    if self.connections.fetch_add(1, Ordering::SeqCst) > 0 {
                        on_change(Change::Everything);
                    }
                    let lost = self.listen(&mut client, on_change);
                    if !self.stopped() {
                        tracing::warn!(error = %lost, "change notices: connection lost, reconnecting");
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_ms = backoff.as_millis(), "change notices: cannot connect");
                    self.sleep(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    fn connect(&self) -> Result<postgres::Client, postgres::Error> {
        let mut client = self.config.connect(postgres::NoTls)?;
        client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
        Ok(client)
    }

    /// Hands notices to `on_change` until the connection fails (its error) or the listener stops.
    fn listen(&self, client: &mut postgres::Client, on_change: &dyn Fn(Change)) -> String {
        let mut quiet_since = Instant::now();
        while !self.stopped() {
            // One notice per wait at most, so that a steady stream still lets the stop flag be read.
            let waited_from = Instant::now();
            let received = client.notifications().timeout_iter(WAIT).next();
            let payload = match received {
                Err(e) => return e.to_string(),
                Ok(Some(notice)) => notice.payload().to_owned(),
                Ok(None) if client.is_closed() => return "the server closed the connection".into(),
                Ok(None) => {
                    // An early `None` is a connection that ended without an error: check it too.
                    let early = waited_from.elapsed() < WAIT / 2;
                    if early || quiet_since.elapsed() >= CHECK_IDLE_AFTER {
                        if let Err(e) = client.is_valid(MAX_BACKOFF) {
                            return e.to_string();
                        }
                        quiet_since = Instant::now();
                    }
                    continue;
                }
            };
            quiet_since = Instant::now();
            match parse(&payload) {
                Some((node, _)) if node == self.node.as_str() => {}
                Some((_, id)) => on_change(Change::Id(id.to_owned())),
                None => tracing::warn!(payload, "change notices: ignored a payload of unknown form"),
            }
        }
        String::new()
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Sleeps in slices, so a stop is not held up by the backoff.
    fn sleep(&self, total: Duration) {
        let until = Instant::now() + total;
        while !self.stopped() && Instant::now() < until {
            std::thread::sleep(WAIT.min(until.saturating_duration_since(Instant::now())));
        }
    }
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::cluster::notices::{publish, publish_as};
    use crate::db::cluster::testing::{scratch, terminate, wait_until};
    use crate::db::sql::Postgres;
    use std::sync::mpsc::{channel, Receiver};

    /// The brief's bound: another node hears of a change within one second of its commit.
    const DELIVERY: Duration = Duration::from_secs(1);
    /// Reconnecting takes the backoff's first step and a connection: generous on a busy machine.
    const RECONNECT: Duration = Duration::from_secs(15);

    fn listening(url: &str, node: &NodeId) -> (Listener, Receiver<Change>) {
        let (tx, rx) = channel();
        let listener = Listener::start(url, node.clone(), move |change| {
            let _ = tx.send(change);
        })
        .unwrap();
        assert!(wait_until(RECONNECT, || listener.connections() == 1), "the listener connects");
        (listener, rx)
    }

    /// Publishes as `node` in a transaction of its own, committed or rolled back.
    fn change(client: &mut postgres::Client, node: &NodeId, id: &str, commit: bool) {
        let tx = Postgres::new(client.transaction().unwrap());
        publish_as(&tx, node, id).unwrap();
        if commit {
            tx.commit().unwrap();
        }
    }

    #[test]
    fn a_committed_change_reaches_the_other_node_and_a_rolled_back_one_never_does() {
        let Some(database) = scratch() else { return };
        let (us, them) = (NodeId::random(), NodeId::random());
        let (_listener, heard) = listening(&database.url(), &us);
        let mut client = database.connect();

        let sent = Instant::now();
        change(&mut client, &them, "acme.json", true);
        assert_eq!(heard.recv_timeout(DELIVERY).unwrap(), Change::Id("acme.json".into()));
        eprintln!("delivered {} ms after the commit", sent.elapsed().as_millis());

        // Rolled back, then a committed one: the committed one is the next thing heard.
        change(&mut client, &them, "rolled.back", false);
        change(&mut client, &them, "after.rollback", true);
        assert_eq!(heard.recv_timeout(DELIVERY).unwrap(), Change::Id("after.rollback".into()));
        assert!(heard.try_recv().is_err());
    }

    #[test]
    fn a_node_skips_its_own_notices() {
        let Some(database) = scratch() else { return };
        let (us, them) = (NodeId::random(), NodeId::random());
        let (_listener, heard) = listening(&database.url(), &us);
        let mut client = database.connect();
        change(&mut client, &us, "ours", true);
        change(&mut client, &them, "theirs", true);
        assert_eq!(heard.recv_timeout(DELIVERY).unwrap(), Change::Id("theirs".into()));
        // `publish` speaks for this process, which is neither test node.
        let tx = Postgres::new(client.transaction().unwrap());
        publish(&tx, "this.process").unwrap();
        tx.commit().unwrap();
        assert_eq!(heard.recv_timeout(DELIVERY).unwrap(), Change::Id("this.process".into()));
    }

    #[test]
    fn after_its_session_is_ended_the_listener_reconnects_and_says_everything_may_be_stale() {
        let Some(database) = scratch() else { return };
        let (us, them) = (NodeId::random(), NodeId::random());
        let (listener, heard) = listening(&database.url(), &us);
        assert_eq!(terminate(&database, APPLICATION_NAME), 1);
        assert_eq!(heard.recv_timeout(RECONNECT).unwrap(), Change::Everything);
        assert_eq!(listener.connections(), 2);
        let mut client = database.connect();
        change(&mut client, &them, "after.reconnect", true);
        assert_eq!(heard.recv_timeout(DELIVERY).unwrap(), Change::Id("after.reconnect".into()));
    }

    #[test]
    fn publishing_on_sqlite_does_nothing() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        publish(&conn, "acme.json").unwrap();
    }
}

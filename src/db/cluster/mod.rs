//! What several Galley nodes on one PostgreSQL need to agree on (issue #21, docs/scale-out.md
//! "How the nodes agree"): change notices between nodes (`notices` sends them in the change's
//! transaction, `listener` receives them on a connection of its own), and job locks held across
//! the cluster (`job_lock`). On SQLite there is one node and each of these is a no-op or a local
//! counterpart.
#[cfg(test)]
mod engines;
pub mod job_lock;
pub mod listener;
mod node;
pub mod notices;

pub use node::NodeId;

#[cfg(test)]
pub(crate) mod testing;

/// `[database] url` as the `postgres` crate's configuration (the URL may hold a password: the
/// error does not echo it).
fn parse_url(url: &str) -> Result<postgres::Config, crate::db::DbError> {
    url.parse().map_err(|e| crate::db::DbError::Open(format!("[database] url: {e}")))
}

//! Sending a change notice: "the package id X changed", to every other node, so that each
//! refreshes what it keeps of X in memory (rendered documents, caches) without polling every id.
//!
//! On PostgreSQL the notice is a `pg_notify` on the `galley_changes` channel issued inside the
//! change's own transaction: the server delivers it when that transaction commits and drops it
//! when it rolls back, so no node hears of a change that did not happen or misses one that did
//! (while its listener is connected; see `listener` for after a reconnect). On SQLite there is one
//! node and nothing to tell: publishing does nothing.
use super::NodeId;
use crate::db::sql::{Engine, Sql};
use crate::db::DbError;
use crate::values;

/// The channel every node listens on.
pub const CHANNEL: &str = "galley_changes";

/// Tells the other nodes, when the transaction `db` belongs to commits, that `id_lower` changed.
pub fn publish(db: &dyn Sql, id_lower: &str) -> Result<(), DbError> {
    publish_as(db, NodeId::this_process(), id_lower)
}

/// `publish` in the name of `node` (tests run several nodes in one process).
pub fn publish_as(db: &dyn Sql, node: &NodeId, id_lower: &str) -> Result<(), DbError> {
    if db.engine() == Engine::Sqlite {
        return Ok(());
    }
    // A statement returning `void`: run for its effect, its row is not read.
    db.execute("SELECT pg_notify('galley_changes', ?1)", values![payload(node, id_lower)])?;
    Ok(())
}

/// `node:id`. Node ids are hex, so the first colon ends them whatever the id holds.
fn payload(node: &NodeId, id_lower: &str) -> String {
    format!("{node}:{id_lower}")
}

/// The sender and the id of a payload; `None` for one no node of this version sent.
pub(super) fn parse(payload: &str) -> Option<(&str, &str)> {
    payload.split_once(':').filter(|(node, id)| !node.is_empty() && !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_names_its_sender_and_the_id() {
        let node = NodeId::random();
        let sent = payload(&node, "acme.json");
        assert_eq!(parse(&sent), Some((node.as_str(), "acme.json")));
        assert_eq!(parse("no-colon"), None);
        assert_eq!(parse(":acme"), None);
        assert_eq!(parse("node:"), None);
    }
}

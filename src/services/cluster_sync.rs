//! Keeps this node's in-memory state and rendered documents in step with the changes other nodes
//! commit (issue #21, docs/scale-out.md "How the nodes agree").
//!
//! Every change of an id sends a notice at commit (`db::packages::record_change` →
//! `db::cluster::notices::publish`); the listener hands each one from another node to `apply`.
//! What a node keeps of an id outside the database is its rendered feed documents (flat container,
//! registration) and its symbol index; search needs nothing here, since every node's index re-reads
//! the ids logged in `search_changes` before it answers. After a reconnect the listener cannot know
//! what it missed, so everything is brought up to date.
use crate::db::cluster::listener::{Change, Listener};
use crate::db::cluster::NodeId;
use crate::error::AppError;
use crate::state::AppState;

/// Starts listening when the database is shared (PostgreSQL); `None` on the embedded database,
/// where this process is the only writer. Dropping the listener stops it.
pub fn start(state: &AppState) -> Result<Option<Listener>, AppError> {
    if !state.config.database.is_postgres() {
        return Ok(None);
    }
    let node = state.clone();
    let listener = Listener::start(&state.config.database.url, NodeId::this_process().clone(), move |change| {
        // A failure (or a panic in a renderer) must not stop the listener: the next notice of the
        // id, the hourly reindex or the next reconnect brings the id up to date.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| apply(&node, &change)));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, ?change, "applying another node's change failed"),
            Err(_) => tracing::error!(?change, "applying another node's change panicked"),
        }
    })?;
    Ok(Some(listener))
}

/// Brings what this node keeps of `change` up to date from the database.
pub fn apply(state: &AppState, change: &Change) -> Result<(), AppError> {
    let conn = state.conn()?;
    match change {
        Change::Id(id_lower) => {
            state.docs.refresh(&conn, id_lower)?;
            state.symbols.replace_id(id_lower, crate::db::symbols::of_id(&conn, id_lower)?);
        }
        Change::Everything => {
            tracing::info!("the change listener reconnected: bringing every id's documents up to date");
            state.symbols.replace_all(crate::db::symbols::all(&conn)?);
            drop(conn);
            let rendered = state.docs.render_all(&state.db)?;
            tracing::info!(ids = rendered, "documents brought up to date after a reconnect");
        }
    }
    Ok(())
}

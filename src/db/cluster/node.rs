//! Which node sent a change notice, so that a node skips the notices it sent itself (its own
//! caches were refreshed by the change's service already).
use std::fmt;
use std::sync::OnceLock;

/// A random name per process: a restarted node is a new node, which is what the listener needs
/// (it has reloaded everything anyway).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NodeId(String);

impl NodeId {
    pub fn random() -> Self {
        Self(format!("{:016x}", rand::random::<u64>()))
    }

    /// The id this process sends and skips.
    pub fn this_process() -> &'static NodeId {
        static THIS: OnceLock<NodeId> = OnceLock::new();
        THIS.get_or_init(NodeId::random)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

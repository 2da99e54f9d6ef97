//! In-process admission control, below the services: how many failed sign-ins an account or an
//! address may have, which id+versions are being pushed right now, and the gate a push's commit
//! passes through. Services ask; the limits only count and wait.
pub mod commit_gate;
pub mod in_flight;
pub mod login_limiter;

//! Admission control, below the services: how many failed sign-ins an account or an address may
//! have (counted in memory, or in the database the nodes of a cluster share) and which id+versions are being pushed right now (their commits queue in
//! `db::group_commit`). Services ask; the limits only count and wait.
mod failure_log;
pub mod in_flight;
mod local_failures;
pub mod login_limiter;
mod shared_failures;

//! In-process admission control, below the services: how many failed sign-ins an account or an
//! address may have and which id+versions are being pushed right now (their commits queue in
//! `db::group_commit`). Services ask; the limits only count and wait.
pub mod in_flight;
pub mod login_limiter;

//! Upstream feeds: a NuGet v3 client per `[[upstream]]` table (service index, flat container,
//! registration, package files) with its timeouts, Basic credentials and back-off. An adapter:
//! it knows HTTP and the v3 protocol, never the rules of which ids it may supply
//! (`services::mirror` decides those).
pub mod client;
pub mod health;

pub use client::{Fetched, Upstream};

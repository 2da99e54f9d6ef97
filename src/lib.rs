//! Galley: a NuGet package gallery in one executable.
//!
//! Dependencies point one way (ARCHITECTURE.md; checked by `tests/architecture/check_imports.py`):
//! `cli → app → {http, jobs} → services → state → {cache, limits} → adapters → {protocol, search} → domain`.
pub mod app;
pub mod cache;
pub mod cli;
pub mod config;
pub mod db;
pub mod directory;
pub mod domain;
pub mod error;
pub mod http;
pub mod jobs;
pub mod limits;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod oidc;
pub mod protocol;
pub mod scan;
pub mod search;
pub mod services;
pub mod state;
pub mod store;
pub mod upstream;

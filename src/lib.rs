//! Galley: a NuGet package gallery in one executable.
//!
//! Dependencies point one way: `app → http → services → {db, store, search, scan, mail, protocol} → domain`.
pub mod app;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod protocol;
pub mod scan;
pub mod search;
pub mod services;
pub mod state;
pub mod store;
pub mod upstream;

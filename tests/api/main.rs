//! The one integration test binary: each module drives a real server over loopback HTTP.
// Table-driven tests list every case in one function; splitting them would hide the table.
#![allow(clippy::too_many_lines)]
mod helpers;
#[path = "../../src/domain/nupkg_builder.rs"]
mod nupkg_builder;

mod accounts;
mod apikeys;
mod atomic_writes;
mod authz_matrix;
mod clamd;
mod cli;
mod data_safety;
mod feed_auth;
mod feed_v2;
mod feed_v3;
mod golden;
mod jobs;
mod mail;
mod metrics;
mod notices;
mod orgs;
mod owners;
mod package_path;
mod pg_migrate;
mod portal;
mod push;
mod recovery;
mod retention;
mod scan;
mod search_entries;
mod security;
mod sessions;
mod smtp_sink;
mod symbols;
mod two_factor;
mod upload_intake;
mod upstream;

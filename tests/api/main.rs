//! The one integration test binary: each module drives a real server over loopback HTTP.
// Table-driven tests list every case in one function; splitting them would hide the table.
#![allow(clippy::too_many_lines)]
mod helpers;

mod cli;
mod feed_auth;
mod feed_v3;
mod portal;
mod push;

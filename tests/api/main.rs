//! The one integration test binary: each module drives a real server over loopback HTTP.
mod helpers;

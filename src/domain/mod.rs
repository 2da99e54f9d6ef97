//! Pure NuGet package model and rules: no HTTP, no SQL, no I/O beyond reading a package in hand.
pub mod api_key;
pub mod id;
pub mod nupkg;
pub mod nuspec;
pub mod org;
pub mod password;
pub mod pdb_id;
pub mod pe;
pub mod portable_pdb;
pub mod signature;
pub mod snupkg;
pub mod symbol_match;
pub mod token;
pub mod version;
pub mod version_range;
pub mod web_url;

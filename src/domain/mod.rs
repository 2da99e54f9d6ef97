//! Pure NuGet package model and rules: no HTTP, no SQL, no I/O beyond reading a package in hand.
pub mod advisory;
pub mod api_key;
pub mod clock;
pub mod deprecation;
pub mod id;
pub mod nupkg;
/// Package bytes for tests; `tests/api` and `bench/` include the same file by path.
#[cfg(test)]
pub(crate) mod nupkg_builder;
pub mod nuspec;
pub mod org;
pub mod packed_strs;
pub mod password;
pub mod pdb_id;
pub mod pe;
pub mod portable_pdb;
pub mod records;
pub mod retention;
pub mod search_entry;
pub mod signature;
pub mod snupkg;
pub mod symbol_match;
pub mod token;
pub mod version;
pub mod version_range;
pub mod version_status;
pub mod web_url;

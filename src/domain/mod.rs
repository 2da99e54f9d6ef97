//! Pure NuGet package model and rules: no HTTP, no SQL, no I/O beyond reading a package in hand.
pub mod advisory;
pub mod api_key;
pub mod deprecation;
pub mod id;
pub mod nupkg;
pub mod nuspec;
pub mod org;
pub mod password;
pub mod retention;
pub mod signature;
pub mod token;
pub mod version;
pub mod version_range;
pub mod web_url;

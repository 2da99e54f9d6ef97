//! The `{id}` and `{version}` path segments of the feeds, parsed once into `PackageId` and
//! `NuGetVersion` with their lower-case keys, so handlers and services never lower-case an id.
//!
//! A segment that is not a valid id or version answers what the feeds answered before there was
//! an extractor: 404 with the feeds' "does not exist" message, since no stored package can have
//! such a name.
use crate::domain::id::PackageId;
use crate::domain::version::NuGetVersion;
use crate::error::AppError;
use crate::http::files::not_found;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use percent_encoding::percent_decode_str;
use std::borrow::Cow;
use std::future::{ready, Ready};

/// A path segment decoded exactly as `web::Path<String>` decodes it: the router leaves `%2F`,
/// `%25` and `%2B` encoded (so `1.0.0%2Bmeta` is still one segment), and the path extractor
/// decodes what is left, passing invalid sequences through. Borrowed, so free, when there is
/// nothing to decode.
pub fn segment<'a>(req: &'a HttpRequest, name: &str) -> Cow<'a, str> {
    percent_decode_str(req.match_info().query(name)).decode_utf8_lossy()
}

/// `{id}`: the id as the client spelled it and its key (the form stored ids and the flat
/// container's URLs use).
#[derive(Debug, Clone)]
pub struct IdPath {
    pub id: PackageId,
    pub id_lower: String,
}

/// `{id}/{version}`: the id as `IdPath`, and the version with its key (lower-case normalized).
#[derive(Debug, Clone)]
pub struct IdVersionPath {
    pub id: PackageId,
    pub id_lower: String,
    pub version: NuGetVersion,
    pub version_lower: String,
}

impl IdPath {
    /// Parses a raw segment: the one place a path id becomes a key.
    ///
    /// # Errors
    /// The feeds' 404 when `segment` is not a valid package id.
    pub fn parse(segment: &str) -> Result<Self, AppError> {
        Self::try_parse(segment).ok_or_else(not_found)
    }

    /// For a resource whose "not there" answer is its own (the v2 entry, the portal).
    pub fn try_parse(segment: &str) -> Option<Self> {
        let id = PackageId::parse(segment).ok()?;
        let id_lower = id.lower();
        Some(Self { id, id_lower })
    }
}

impl IdVersionPath {
    /// # Errors
    /// The feeds' 404 when either segment does not parse.
    pub fn parse(id: &str, version: &str) -> Result<Self, AppError> {
        Self::try_parse(id, version).ok_or_else(not_found)
    }

    /// For a resource whose "not there" answer is its own (the v2 entry, the portal).
    pub fn try_parse(id: &str, version: &str) -> Option<Self> {
        let IdPath { id, id_lower } = IdPath::try_parse(id)?;
        let version = NuGetVersion::parse(version).ok()?;
        let version_lower = version.lower_normalized();
        Some(Self { id, id_lower, version, version_lower })
    }
}

// The segments are read from the router's match through `segment`, so nothing is copied before
// parsing.
impl FromRequest for IdPath {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::parse(&segment(req, "id")))
    }
}

impl FromRequest for IdVersionPath {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::parse(&segment(req, "id"), &segment(req, "version")))
    }
}

#[cfg(test)]
#[path = "package_path_tests.rs"]
mod tests;

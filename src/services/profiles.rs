//! Profile pages: an account and the packages it owns, in the search result shape.
use crate::db;
use crate::error::AppError;
use crate::protocol::v3::{self, SearchResult};
use crate::state::AppState;

pub struct Profile {
    pub username: String,
    pub is_organization: bool,
    /// Owned packages with a listed version, most downloaded first (latest including prerelease
    /// and SemVer 2.0, as the portal shows everything).
    pub packages: Vec<SearchResult>,
    pub total_downloads: i64,
}

/// Blocking: call from a blocking thread.
pub fn profile(state: &AppState, username: &str) -> Result<Profile, AppError> {
    let conn = state.conn()?;
    let user = db::users::by_name(&conn, username)?
        .ok_or_else(|| AppError::NotFound(format!("There is no account named '{username}' on this server.")))?;
    // The ids' search entries: a profile shows each package as a search hit, without SQL per id.
    let owned = db::packages::owned_by(&conn, user.id)?;
    let packages: Vec<SearchResult> = state
        .search
        .entries(&conn, &owned)?
        .iter()
        .flatten()
        .filter_map(|entry| v3::search_result_of(&state.urls, entry, true, true))
        .collect();
    let total_downloads = packages.iter().map(|p| p.total_downloads).sum();
    Ok(Profile { username: user.username, is_organization: user.is_organization, packages, total_downloads })
}

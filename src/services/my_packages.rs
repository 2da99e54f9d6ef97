//! "Manage my packages": the packages the signed-in user and its organizations own, with every
//! version's listed state and status, and the ownership invitations waiting for an answer.
use super::owners::{self, PendingView};
use super::permissions::Principal;
use crate::db::{self, packages};
use crate::domain::version_status::VersionStatus;
use crate::error::AppError;
use crate::state::AppState;
use std::collections::BTreeMap;

pub struct MyVersion {
    pub version: String,
    pub listed: bool,
    /// "available", "validating", "failed", "quarantined" …
    pub status: VersionStatus,
    pub downloads: i64,
    /// The deprecation reasons ("Legacy, Other") when the version is deprecated.
    pub deprecated: Option<String>,
}

pub struct MyPackage {
    pub id: String,
    /// The owning account (the user itself or one of its organizations).
    pub owner: String,
    pub total_downloads: i64,
    pub latest: Option<String>,
    /// Newest first.
    pub versions: Vec<MyVersion>,
}

pub struct MyPackages {
    pub packages: Vec<MyPackage>,
    /// (package id, invitation).
    pub invitations: Vec<(String, PendingView)>,
}

pub fn list(state: &AppState, p: &Principal) -> Result<MyPackages, AppError> {
    let conn = &state.conn()?;
    // Keyed by lowercase id: a package owned by the user and an organization shows once.
    let mut found: BTreeMap<String, MyPackage> = BTreeMap::new();
    for owner_id in &p.acts_for {
        let owner = db::users::by_id(conn, *owner_id)?.map(|u| u.username).unwrap_or_default();
        for id_lower in packages::owned_by(conn, *owner_id)? {
            if found.contains_key(&id_lower) {
                continue;
            }
            let Some(record) = packages::load(conn, &id_lower)? else { continue };
            let latest = record.latest(true, true).map(|v| v.version_normalized.clone());
            let versions = record
                .versions
                .iter()
                .rev()
                .filter(|v| v.status != VersionStatus::Deleted)
                .map(|v| MyVersion {
                    version: v.version_normalized.clone(),
                    listed: v.listed,
                    status: v.status,
                    downloads: v.downloads,
                    deprecated: v.deprecation.as_ref().map(|d| d.reasons.join(", ")),
                })
                .collect();
            let package = MyPackage {
                id: record.package_id,
                owner: owner.clone(),
                total_downloads: record.total_downloads,
                latest,
                versions,
            };
            found.insert(id_lower, package);
        }
    }
    Ok(MyPackages { packages: found.into_values().collect(), invitations: owners::pending_for(conn, p)? })
}

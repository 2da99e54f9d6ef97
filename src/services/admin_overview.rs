//! What the admin page shows at once: server status, accounts, open support requests, versions
//! held back by validation, and the latest audit entries. Administrators only.
use super::accounts::{self, UserSummary};
use super::audit::{self, AuditEntryView};
use super::permissions::Principal;
use super::support::{self, RequestView};
use crate::db::{self, audit::AuditFilter, validation::HeldVersion};
use crate::error::AppError;
use rusqlite::Connection;

pub struct Overview {
    pub version: &'static str,
    pub packages: i64,
    pub available_versions: i64,
    pub users: Vec<UserSummary>,
    pub requests: Vec<RequestView>,
    pub held: Vec<HeldVersion>,
    pub audit: Vec<AuditEntryView>,
}

pub fn overview(conn: &Connection, p: &Principal) -> Result<Overview, AppError> {
    // Each call below checks the admin role itself; this one answers first for a clear message.
    let users = accounts::list_for_admin_in(conn, p)?;
    let (packages, available_versions) = db::packages::count_packages(conn)?;
    let filter = AuditFilter { package_lower: None, actor: None, action_prefix: None, before_id: None, limit: 50 };
    Ok(Overview {
        version: env!("CARGO_PKG_VERSION"),
        packages,
        available_versions,
        users,
        requests: support::list(conn, p, Some("open"))?,
        held: db::validation::held_versions(conn, 100)?,
        audit: audit::search(conn, p, &filter)?,
    })
}

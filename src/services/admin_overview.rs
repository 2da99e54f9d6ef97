//! What the admin page shows at once: server status, accounts, open support requests, versions
//! held back by validation, and the latest audit entries. Administrators only.
use super::accounts::{self, UserSummary};
use super::audit::{self, AuditEntryView};
use super::permissions::Principal;
use super::support::{self, RequestView};
use crate::db::{self, audit::AuditFilter, validation::HeldVersion};
use crate::error::AppError;
use crate::state::AppState;

pub struct Overview {
    pub version: &'static str,
    pub packages: i64,
    pub available_versions: i64,
    pub users: Vec<UserSummary>,
    pub requests: Vec<RequestView>,
    pub held: Vec<HeldVersion>,
    pub audit: Vec<AuditEntryView>,
}

pub fn overview(state: &AppState, p: &Principal) -> Result<Overview, AppError> {
    // Each call below checks the admin role itself; this one answers first for a clear message.
    let conn = state.conn()?;
    let users = accounts::list_for_admin_in(&conn, p)?;
    let (packages, available_versions) = db::packages::count_packages(&conn)?;
    let held = db::validation::held_versions(&conn, 100)?;
    // The support and audit reads take their own connection.
    drop(conn);
    let filter = AuditFilter { package_lower: None, actor: None, action_prefix: None, before_id: None, limit: 50 };
    Ok(Overview {
        version: env!("CARGO_PKG_VERSION"),
        packages,
        available_versions,
        users,
        requests: support::list(state, p, Some("open"))?,
        held,
        audit: audit::search(state, p, &filter)?,
    })
}

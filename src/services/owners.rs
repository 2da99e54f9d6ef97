//! Package owners as on nuget.org: any owner invites another account (an email with a
//! single-use, expiring link that the invitee opens while signed in), cancels an invitation or
//! removes another owner; a package always keeps at least one owner. Administrators may also add
//! an owner directly (support cases, `galley owner add`).
use super::permissions::{authorize, may_answer_invitation, PackageAction, Principal};
use super::{accounts, audit, notify};
use crate::db::sql::Sql;
use crate::db::{self, owners, packages};
use crate::domain::id::PackageId;
use crate::domain::token;
use crate::error::AppError;
use crate::mail::templates::owner_invitation;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct OwnerView {
    pub username: String,
    pub is_organization: bool,
    pub added_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PendingView {
    pub username: String,
    pub invited_by: Option<String>,
    pub created_at: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OwnersView {
    pub package_id: String,
    pub owners: Vec<OwnerView>,
    /// Pending invitations; shown to the package's owners and administrators only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<Vec<PendingView>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Invited {
    pub package_id: String,
    pub username: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    Decline,
}

pub const INVALID_INVITATION: &str = "This invitation is not valid: it was already used, declined or cancelled.";

fn package(conn: &dyn Sql, package_id: &str) -> Result<packages::PackageRow, AppError> {
    packages::find(conn, &PackageId::key_of(package_id))?
        .ok_or_else(|| AppError::NotFound(format!("The package '{package_id}' does not exist.")))
}

fn authorize_manage(conn: &dyn Sql, p: &Principal, pkg: &packages::PackageRow) -> Result<(), AppError> {
    let owner_ids = packages::owner_ids(conn, pkg.key)?;
    authorize(p, PackageAction::ManageOwners, &pkg.package_id, Some(&owner_ids))
}

/// Owners of a package (public), with pending invitations for those who may see them.
pub fn list(state: &AppState, viewer: Option<&Principal>, package_id: &str) -> Result<OwnersView, AppError> {
    list_in(&state.conn()?, viewer, package_id)
}

/// `list` on the caller's connection (or inside its transaction).
fn list_in(conn: &dyn Sql, viewer: Option<&Principal>, package_id: &str) -> Result<OwnersView, AppError> {
    let pkg = package(conn, package_id)?;
    let rows = owners::owners(conn, pkg.key)?;
    let ids: Vec<i64> = rows.iter().map(|o| o.user_id).collect();
    let sees_pending =
        viewer.is_some_and(|p| authorize(p, PackageAction::ReadAudit, &pkg.package_id, Some(&ids)).is_ok());
    let pending = if sees_pending {
        Some(
            owners::invitations(conn, pkg.key)?
                .into_iter()
                .map(|i| PendingView {
                    username: i.invitee,
                    invited_by: i.inviter,
                    created_at: i.created_at,
                    expires_at: i.expires_at,
                })
                .collect(),
        )
    } else {
        None
    };
    let owners = rows
        .into_iter()
        .map(|o| OwnerView { username: o.username, is_organization: o.is_organization, added_at: o.added_at })
        .collect();
    Ok(OwnersView { package_id: pkg.package_id, owners, pending })
}

/// Invites `username` to own the package and emails the link (replacing an earlier invitation).
/// The invitation, its audit row and the mail's record land together; the mail goes after.
pub fn invite(
    state: &AppState,
    p: &Principal,
    package_id: &str,
    username: &str,
    ip: Option<&str>,
) -> Result<Invited, AppError> {
    let (invited, mail) = super::in_transaction(state, |tx| invite_in(state, tx, p, package_id, username, ip))?;
    mail.post(&state.mail);
    Ok(invited)
}

/// `invite` on the caller's transaction; the returned mail is to be posted after its commit.
pub(super) fn invite_in(
    state: &AppState,
    conn: &dyn Sql,
    p: &Principal,
    package_id: &str,
    username: &str,
    ip: Option<&str>,
) -> Result<(Invited, notify::Outgoing), AppError> {
    let pkg = package(conn, package_id)?;
    authorize_manage(conn, p, &pkg)?;
    let invitee = accounts::find_account(conn, username.trim())?;
    if invitee.is_disabled {
        return Err(AppError::BadRequest(format!("The account '{}' is disabled.", invitee.username)));
    }
    if packages::owner_ids(conn, pkg.key)?.contains(&invitee.id) {
        return Err(AppError::Conflict(format!("'{}' already owns '{}'.", invitee.username, pkg.package_id)));
    }
    let days = state.config.accounts.owner_invitation_days;
    let expires_at =
        (state.clock.now() + Duration::days(i64::from(days))).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let t = token::generate();
    owners::replace_invitation(conn, pkg.key, invitee.id, p.account_id, &token::hash(&t), &expires_at)?;
    audit::record(conn, p, ip, "owner.invite", Some(&pkg.package_id), Some(&invitee.username))?;
    let message = owner_invitation::render(&owner_invitation::Invitation {
        to: &invitee.email,
        invitee: &invitee.username,
        inviter: &p.username,
        package_id: &pkg.package_id,
        link: &state.urls.owner_invitation(&pkg.package_id, &t),
        days,
    });
    let mail = notify::record(conn, "owner-invitation", message)?;
    Ok((Invited { package_id: pkg.package_id, username: invitee.username, expires_at }, mail))
}

/// Accepts or declines the invitation behind `presented` (the token from the emailed link). Only
/// the invited account (or an admin of an invited organization) may answer it, once.
pub fn answer(
    state: &AppState,
    p: &Principal,
    package_id: &str,
    presented: &str,
    answer: Answer,
    ip: Option<&str>,
) -> Result<OwnersView, AppError> {
    let (pkg, invitation) = {
        let conn = state.conn()?;
        let pkg = package(&conn, package_id)?;
        let invitation = owners::invitation_by_hash(&conn, &token::hash(presented))?
            .filter(|i| i.package_key == pkg.key)
            .ok_or_else(|| AppError::NotFound(INVALID_INVITATION.into()))?;
        (pkg, invitation)
    };
    settle(state, p, &pkg, &invitation, answer, ip, state.clock.now())
}

/// Answers the pending invitation of the signed-in account (or an organization it administers)
/// from "Manage my packages", as nuget.org lets invitees do without the emailed link: being
/// signed in as the invitee is what the link proves.
pub fn answer_pending(
    state: &AppState,
    p: &Principal,
    package_id: &str,
    invitee: &str,
    answer: Answer,
    ip: Option<&str>,
) -> Result<OwnersView, AppError> {
    let (pkg, invitation) = {
        let conn = state.conn()?;
        let pkg = package(&conn, package_id)?;
        let account = accounts::find_account(&conn, invitee)?;
        let invitation = owners::invitation_for(&conn, pkg.key, account.id)?
            .ok_or_else(|| AppError::NotFound(INVALID_INVITATION.into()))?;
        (pkg, invitation)
    };
    settle(state, p, &pkg, &invitation, answer, ip, state.clock.now())
}

/// Pending invitations to the account and the organizations it administers, by package id. On
/// the caller's connection: "Manage my packages" reads them with the packages.
pub(super) fn pending_for(conn: &dyn Sql, p: &Principal) -> Result<Vec<(String, PendingView)>, AppError> {
    let mut all = Vec::new();
    for id in &p.manages {
        for (package_id, i) in owners::invitations_to(conn, *id)? {
            let view = PendingView {
                username: i.invitee,
                invited_by: i.inviter,
                created_at: i.created_at,
                expires_at: i.expires_at,
            };
            all.push((package_id, view));
        }
    }
    Ok(all)
}

fn settle(
    state: &AppState,
    p: &Principal,
    pkg: &packages::PackageRow,
    invitation: &owners::InvitationRow,
    answer: Answer,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<OwnersView, AppError> {
    if !may_answer_invitation(p, invitation.invitee_id) {
        return Err(AppError::Forbidden(
            "This invitation was sent to another account; sign in as that account to answer it.".into(),
        ));
    }
    let expires = DateTime::parse_from_rfc3339(&invitation.expires_at).map_err(AppError::internal)?;
    if expires <= now {
        return Err(AppError::Gone(format!(
            "This invitation expired on {}; ask an owner of '{}' to invite you again.",
            expires.format("%Y-%m-%d"),
            pkg.package_id
        )));
    }
    super::in_transaction(state, |tx| {
        // Deleting first makes the link single-use even when two answers race.
        if !owners::delete_invitation(tx, invitation.id)? {
            return Err(AppError::NotFound(INVALID_INVITATION.into()));
        }
        if answer == Answer::Accept {
            owners::add_owner(tx, pkg.key, invitation.invitee_id)?;
            db::search::reindex_package(tx, pkg.key)?;
        }
        let action = if answer == Answer::Accept { "owner.accept" } else { "owner.decline" };
        audit::record(tx, p, ip, action, Some(&pkg.package_id), Some(&invitation.invitee))?;
        list_in(tx, Some(p), &pkg.package_id)
    })
}

/// Cancels a pending invitation (any owner may).
pub fn cancel(
    state: &AppState,
    p: &Principal,
    package_id: &str,
    username: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    super::in_transaction(state, |tx| {
        let pkg = package(tx, package_id)?;
        authorize_manage(tx, p, &pkg)?;
        let invitee = accounts::find_account(tx, username)?;
        let invitation = owners::invitation_for(tx, pkg.key, invitee.id)?.ok_or_else(|| {
            AppError::NotFound(format!(
                "There is no pending invitation for '{}' to own '{}'.",
                invitee.username, pkg.package_id
            ))
        })?;
        owners::delete_invitation(tx, invitation.id)?;
        audit::record(tx, p, ip, "owner.cancel", Some(&pkg.package_id), Some(&invitee.username))
    })
}

/// Removes an owner (any owner may remove another, or itself); the last owner stays.
pub fn remove(
    state: &AppState,
    p: &Principal,
    package_id: &str,
    username: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    super::in_transaction(state, |tx| {
        let pkg = package(tx, package_id)?;
        authorize_manage(tx, p, &pkg)?;
        let owner = accounts::find_account(tx, username)?;
        let ids = packages::owner_ids(tx, pkg.key)?;
        if !ids.contains(&owner.id) {
            return Err(AppError::NotFound(format!("'{}' is not an owner of '{}'.", owner.username, pkg.package_id)));
        }
        if ids.len() == 1 {
            return Err(AppError::Conflict(format!(
                "'{}' is the last owner of '{}'; add another owner before removing it.",
                owner.username, pkg.package_id
            )));
        }
        owners::remove_owner(tx, pkg.key, owner.id)?;
        db::search::reindex_package(tx, pkg.key)?;
        audit::record(tx, p, ip, "owner.remove", Some(&pkg.package_id), Some(&owner.username))
    })
}

/// An administrator makes `username` an owner at once, without an invitation.
pub fn add_directly(
    state: &AppState,
    p: &Principal,
    package_id: &str,
    username: &str,
    ip: Option<&str>,
    why: Option<&str>,
) -> Result<(), AppError> {
    super::in_transaction(state, |tx| add_directly_in(tx, p, package_id, username, ip, why))
}

/// `add_directly` inside the caller's transaction (a support request adds its own audit entry).
pub(super) fn add_directly_in(
    tx: &dyn Sql,
    p: &Principal,
    package_id: &str,
    username: &str,
    ip: Option<&str>,
    why: Option<&str>,
) -> Result<(), AppError> {
    if !p.is_admin || p.key.is_some() {
        return Err(AppError::Forbidden("Only administrators may add an owner without an invitation.".into()));
    }
    let pkg = package(tx, package_id)?;
    let account = accounts::find_account(tx, username.trim())?;
    if !owners::add_owner(tx, pkg.key, account.id)? {
        return Err(AppError::Conflict(format!("'{}' already owns '{}'.", account.username, pkg.package_id)));
    }
    if let Some(pending) = owners::invitation_for(tx, pkg.key, account.id)? {
        owners::delete_invitation(tx, pending.id)?;
    }
    db::search::reindex_package(tx, pkg.key)?;
    let detail = match why {
        Some(why) => format!("{} ({why})", account.username),
        None => account.username.clone(),
    };
    audit::record(tx, p, ip, "owner.add", Some(&pkg.package_id), Some(&detail))
}

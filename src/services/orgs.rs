//! Organizations: accounts that own packages and act through their members. Admins manage
//! members, keys and owners; collaborators publish. An organization keeps at least one admin.
use super::permissions::{authorize_org, OrgAction, Principal};
use super::{accounts, audit};
use crate::db::sql::Sql;
use crate::db::{orgs, users};
use crate::domain::org::OrgRole;
use crate::domain::password;
use crate::error::AppError;
use crate::state::AppState;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    pub username: String,
    pub role: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrgView {
    pub name: String,
    pub email: String,
    pub members: Vec<MemberView>,
}

fn find_org(conn: &dyn Sql, name: &str) -> Result<users::UserRow, AppError> {
    users::by_name(conn, name)?
        .filter(|u| u.is_organization)
        .ok_or_else(|| AppError::NotFound(format!("There is no organization named '{name}'.")))
}

fn view_of(conn: &dyn Sql, org: &users::UserRow) -> Result<OrgView, AppError> {
    let members =
        orgs::members(conn, org.id)?.into_iter().map(|m| MemberView { username: m.username, role: m.role }).collect();
    Ok(OrgView { name: org.username.clone(), email: org.email.clone(), members })
}

/// Creates an organization with the signed-in user as its first admin.
pub fn create(state: &AppState, p: &Principal, name: &str, email: &str, ip: Option<&str>) -> Result<OrgView, AppError> {
    let creator = p
        .account_id
        .filter(|_| p.key.is_none())
        .ok_or_else(|| AppError::Forbidden("Sign in to create an organization.".into()))?;
    password::check_username(name).map_err(|e| AppError::bad_input(e.replacen("username", "organization name", 1)))?;
    password::check_email(email).map_err(AppError::bad_input)?;
    let new = users::NewUser {
        username: name,
        email,
        password_hash: None,
        is_admin: false,
        is_organization: true,
        self_registered: false,
    };
    super::in_transaction(state, |tx| {
        let org_id = match users::insert(tx, &new) {
            Ok(id) => id,
            Err(e) if e.is_unique_violation() => {
                return Err(AppError::Conflict("That name or email address is already registered.".into()))
            }
            Err(e) => return Err(e.into()),
        };
        orgs::upsert_member(tx, org_id, creator, OrgRole::Admin.as_str())?;
        audit::record(tx, p, ip, "org.create", None, Some(name))?;
        view_of(tx, &find_org(tx, name)?)
    })
}

pub fn view(state: &AppState, p: &Principal, name: &str) -> Result<OrgView, AppError> {
    let conn = state.conn()?;
    let org = find_org(&conn, name)?;
    authorize_org(p, OrgAction::View, org.id, &org.username)?;
    view_of(&conn, &org)
}

/// Adds a member or changes a member's role (organization admins).
pub fn set_member(
    state: &AppState,
    p: &Principal,
    name: &str,
    username: &str,
    role: &str,
    ip: Option<&str>,
) -> Result<OrgView, AppError> {
    super::in_transaction(state, |tx| {
        let org = find_org(tx, name)?;
        authorize_org(p, OrgAction::Manage, org.id, &org.username)?;
        let role = OrgRole::parse(role).map_err(AppError::bad_input)?;
        let user = accounts::find_user_in(tx, username)?;
        if user.is_disabled {
            return Err(AppError::BadRequest(format!("The account '{}' is disabled.", user.username)));
        }
        let current = orgs::role_of(tx, org.id, user.id)?;
        if current.as_deref() == Some(OrgRole::Admin.as_str())
            && role != OrgRole::Admin
            && orgs::admin_count(tx, org.id)? == 1
        {
            return Err(last_admin(&user.username, &org.username));
        }
        orgs::upsert_member(tx, org.id, user.id, role.as_str())?;
        audit::record(
            tx,
            p,
            ip,
            "org.member.set",
            None,
            Some(&format!("{} {} in {}", user.username, role, org.username)),
        )?;
        view_of(tx, &org)
    })
}

/// Removes a member (organization admins), or a member leaves.
pub fn remove_member(
    state: &AppState,
    p: &Principal,
    name: &str,
    username: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    super::in_transaction(state, |tx| {
        let org = find_org(tx, name)?;
        let user = accounts::find_user_in(tx, username)?;
        if p.account_id != Some(user.id) || p.key.is_some() {
            authorize_org(p, OrgAction::Manage, org.id, &org.username)?;
        }
        let role = orgs::role_of(tx, org.id, user.id)?
            .ok_or_else(|| AppError::NotFound(format!("'{}' is not a member of '{}'.", user.username, org.username)))?;
        if role == OrgRole::Admin.as_str() && orgs::admin_count(tx, org.id)? == 1 {
            return Err(last_admin(&user.username, &org.username));
        }
        orgs::remove_member(tx, org.id, user.id)?;
        audit::record(tx, p, ip, "org.member.remove", None, Some(&format!("{} from {}", user.username, org.username)))
    })
}

fn last_admin(user: &str, org: &str) -> AppError {
    AppError::Conflict(format!("'{user}' is the last admin of '{org}'; make another member an admin first."))
}

//! Support requests from the contact form, ownership recovery above all: filed by anyone (also
//! signed out), emailed to the administrators, resolved by an administrator who adds the
//! requester as an owner or sends an invitation, then closed. Every step is audited.
use super::owners::{self, Invited};
use super::permissions::Principal;
use super::{accounts, audit, notify};
use crate::db::sql::Sql;
use crate::db::{packages, support, users};
use crate::domain::id::PackageId;
use crate::domain::password;
use crate::error::AppError;
use crate::mail::templates::support_request;
use crate::state::AppState;
use serde::{Deserialize, Serialize};

pub const OWNERSHIP_RECOVERY: &str = "ownership-recovery";
const KINDS: [&str; 2] = [OWNERSHIP_RECOVERY, "other"];
const MAX_MESSAGE: usize = 5000;

/// What the contact form sends.
#[derive(Debug, Clone, Deserialize)]
pub struct ContactForm {
    #[serde(default = "default_kind", alias = "type")]
    pub kind: String,
    #[serde(default)]
    pub package_id: Option<String>,
    #[serde(default)]
    pub message: String,
    /// Where the admins answer; defaults to the signed-in account's address.
    #[serde(default)]
    pub email: Option<String>,
    /// The account that should own the package; defaults to the signed-in account.
    #[serde(default)]
    pub username: Option<String>,
}

fn default_kind() -> String {
    OWNERSHIP_RECOVERY.into()
}

#[derive(Debug, Clone, Serialize)]
pub struct Filed {
    pub id: i64,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestView {
    pub id: i64,
    pub kind: String,
    pub package_id: Option<String>,
    pub message: String,
    pub contact_email: String,
    pub username: Option<String>,
    pub status: String,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    pub resolution: Option<String>,
}

impl From<support::SupportRow> for RequestView {
    fn from(r: support::SupportRow) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            package_id: r.package_id,
            message: r.message,
            contact_email: r.contact_email,
            username: r.username,
            status: r.status,
            created_at: r.created_at,
            closed_at: r.closed_at,
            closed_by: r.closed_by,
            resolution: r.resolution,
        }
    }
}

fn clean(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// Files a request and emails every administrator. `requester` is the signed-in user, if any.
pub fn file(
    state: &AppState,
    form: &ContactForm,
    requester: Option<&Principal>,
    ip: Option<&str>,
) -> Result<Filed, AppError> {
    let kind = form.kind.trim().to_ascii_lowercase().replace(' ', "-");
    if !KINDS.contains(&kind.as_str()) {
        return Err(AppError::BadRequest(format!(
            "'{}' is not a kind of request; use {}.",
            form.kind,
            KINDS.join(" or ")
        )));
    }
    let message = form.message.trim();
    if message.is_empty() || message.chars().count() > MAX_MESSAGE {
        return Err(AppError::BadRequest(format!("Describe the request in 1 to {MAX_MESSAGE} characters.")));
    }
    let conn = state.conn()?;
    let package_id = match clean(form.package_id.as_deref()) {
        Some(id) => {
            let parsed =
                PackageId::parse(id).map_err(|e| AppError::bad_input(format!("'{id}' is not a package id: {e}")))?;
            let row = packages::find(&conn, &parsed.lower())?
                .ok_or_else(|| AppError::NotFound(format!("There is no package '{id}' on this server.")))?;
            Some(row.package_id)
        }
        None if kind == OWNERSHIP_RECOVERY => {
            return Err(AppError::BadRequest("Name the package whose ownership you ask for.".into()))
        }
        None => None,
    };
    let signed_in = match requester.and_then(|p| p.account_id) {
        Some(id) => users::by_id(&conn, id)?,
        None => None,
    };
    let contact =
        clean(form.email.as_deref()).map(str::to_owned).or_else(|| signed_in.as_ref().map(|u| u.email.clone()));
    let contact = contact
        .ok_or_else(|| AppError::BadRequest("Give an email address where the administrators can answer you.".into()))?;
    password::check_email(&contact).map_err(AppError::bad_input)?;
    let username =
        clean(form.username.as_deref()).map(str::to_owned).or_else(|| signed_in.as_ref().map(|u| u.username.clone()));
    let id = support::insert(
        &conn,
        &support::NewSupportRequest {
            kind: &kind,
            package_id: package_id.as_deref(),
            message,
            contact_email: &contact,
            username: username.as_deref(),
            requester_id: signed_in.as_ref().map(|u| u.id),
            ip,
        },
    )?;
    let actor = requester.cloned().unwrap_or_else(|| Principal { username: contact.clone(), ..Principal::default() });
    audit::record(&conn, &actor, ip, "support.create", package_id.as_deref(), Some(&format!("request {id}: {kind}")))?;
    let admins = users::admin_emails(&conn)?;
    if admins.is_empty() {
        tracing::warn!(request = id, "a support request was filed but there is no administrator to email");
    }
    for to in &admins {
        let email = support_request::render(&support_request::Request {
            to,
            id,
            kind: &kind,
            package_id: package_id.as_deref(),
            contact_email: &contact,
            username: username.as_deref(),
            message,
            admin_link: &state.urls.admin_support(),
        });
        notify::send(&conn, &state.mail, "support-request", email)?;
    }
    Ok(Filed { id, message: "Thank you. The administrators received your request and will answer by email.".into() })
}

fn require_admin(p: &Principal) -> Result<(), AppError> {
    if p.is_admin && p.key.is_none() {
        Ok(())
    } else {
        Err(AppError::Forbidden("Only administrators handle support requests.".into()))
    }
}

pub fn list(state: &AppState, p: &Principal, status: Option<&str>) -> Result<Vec<RequestView>, AppError> {
    require_admin(p)?;
    Ok(support::list(&state.conn()?, status)?.into_iter().map(Into::into).collect())
}

/// An open request and the account it is about (the one given, or the requester's).
fn open_request(
    conn: &dyn Sql,
    p: &Principal,
    id: i64,
    username: Option<&str>,
) -> Result<(support::SupportRow, String, String), AppError> {
    require_admin(p)?;
    let request =
        support::by_id(conn, id)?.ok_or_else(|| AppError::NotFound(format!("There is no support request {id}.")))?;
    if request.status != "open" {
        return Err(AppError::Conflict(format!("Support request {id} is already closed.")));
    }
    let package_id = request
        .package_id
        .clone()
        .ok_or_else(|| AppError::BadRequest(format!("Support request {id} names no package.")))?;
    let account = match clean(username).or(request.username.as_deref()) {
        Some(name) => accounts::find_account(conn, name)?.username,
        None => match request.requester_id {
            Some(uid) => users::by_id(conn, uid)?.map(|u| u.username),
            None => users::by_email(conn, &request.contact_email)?.map(|u| u.username),
        }
        .ok_or_else(|| {
            AppError::BadRequest(format!("Support request {id} names no account; give the username to use."))
        })?,
    };
    Ok((request, package_id, account))
}

/// Makes the requester (or `username`) an owner at once.
pub fn add_owner(
    state: &AppState,
    p: &Principal,
    id: i64,
    username: Option<&str>,
    ip: Option<&str>,
) -> Result<String, AppError> {
    super::in_transaction(state, |tx| {
        let (_, package_id, account) = open_request(tx, p, id, username)?;
        owners::add_directly_in(tx, p, &package_id, &account, ip, Some(&format!("support request {id}")))?;
        audit::record(tx, p, ip, "support.add-owner", Some(&package_id), Some(&format!("request {id}: {account}")))?;
        Ok(account)
    })
}

/// Sends the requester (or `username`) an owner invitation, as an owner would.
pub fn invite(
    state: &AppState,
    p: &Principal,
    id: i64,
    username: Option<&str>,
    ip: Option<&str>,
) -> Result<Invited, AppError> {
    let (invited, mail) = super::in_transaction(state, |tx| {
        let (_, package_id, account) = open_request(tx, p, id, username)?;
        let invited = owners::invite_in(state, tx, p, &package_id, &account, ip)?;
        audit::record(tx, p, ip, "support.invite", Some(&package_id), Some(&format!("request {id}: {account}")))?;
        Ok(invited)
    })?;
    mail.post(&state.mail);
    Ok(invited)
}

pub fn close(
    state: &AppState,
    p: &Principal,
    id: i64,
    resolution: Option<&str>,
    ip: Option<&str>,
) -> Result<RequestView, AppError> {
    require_admin(p)?;
    let resolution = clean(resolution).unwrap_or("closed");
    super::in_transaction(state, |tx| {
        if !support::close(tx, id, &p.username, resolution)? {
            return Err(match support::by_id(tx, id)? {
                None => AppError::NotFound(format!("There is no support request {id}.")),
                Some(_) => AppError::Conflict(format!("Support request {id} is already closed.")),
            });
        }
        let request =
            support::by_id(tx, id)?.ok_or_else(|| AppError::NotFound(format!("There is no support request {id}.")))?;
        audit::record(
            tx,
            p,
            ip,
            "support.close",
            request.package_id.as_deref(),
            Some(&format!("request {id}: {resolution}")),
        )?;
        Ok(request.into())
    })
}

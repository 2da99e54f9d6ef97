//! Everything done through an emailed single-use link: confirming an address (after
//! registration or a change of address) and resetting a forgotten password.
use super::accounts::{self, Profile};
use super::permissions::Principal;
use super::{audit, in_transaction, notify};
use crate::db::sql::Sql;
use crate::db::{email_tokens, sessions, users};
use crate::domain::{password, token};
use crate::error::AppError;
use crate::mail::templates;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};

const CONFIRM: &str = "confirm-email";
const RESET: &str = "reset-password";

fn expiry(now: DateTime<Utc>, hours: u32) -> String {
    (now + Duration::hours(i64::from(hours))).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Retires earlier links of the purpose and stores a new one; returns the token for the email.
fn issue(
    now: DateTime<Utc>,
    conn: &dyn Sql,
    user_id: i64,
    purpose: &str,
    email: &str,
    hours: u32,
) -> Result<String, AppError> {
    let t = token::generate();
    email_tokens::retire_for_user(conn, user_id, purpose)?;
    email_tokens::insert(conn, user_id, purpose, &token::hash(&t), email, &expiry(now, hours))?;
    Ok(t)
}

/// Finds a live token or says why the link does not work (used, unknown and expired alike).
fn redeem(
    now: DateTime<Utc>,
    conn: &dyn Sql,
    purpose: &str,
    presented: &str,
    what: &str,
) -> Result<email_tokens::EmailTokenRow, AppError> {
    let invalid = || {
        AppError::BadRequest(format!("This {what} link is not valid: it was already used or replaced by a newer one."))
    };
    let row = email_tokens::by_hash(conn, purpose, &token::hash(presented))?.ok_or_else(invalid)?;
    if row.used_at.is_some() {
        return Err(invalid());
    }
    if DateTime::parse_from_rfc3339(&row.expires_at).map_or(true, |t| t <= now) {
        return Err(AppError::Gone(format!("This {what} link has expired; request a new one.")));
    }
    Ok(row)
}

/// Issues the confirmation link of `email` on the caller's transaction and records its mail, to
/// be posted after the commit.
pub(super) fn confirmation_in(
    state: &AppState,
    conn: &dyn Sql,
    user_id: i64,
    email: &str,
) -> Result<notify::Outgoing, AppError> {
    let user =
        users::by_id(conn, user_id)?.ok_or_else(|| AppError::NotFound("The account no longer exists.".into()))?;
    let hours = state.config.accounts.email_confirmation_hours;
    let t = issue(state.clock.now(), conn, user_id, CONFIRM, email, hours)?;
    let message = templates::confirm_email::render(email, &user.username, &state.urls.confirm_email(&t), hours);
    notify::record(conn, CONFIRM, message)
}

/// Sends a new confirmation link for the account's current address.
pub fn resend_confirmation(state: &AppState, p: &Principal) -> Result<(), AppError> {
    let conn = state.conn()?;
    let user = users::by_id(&conn, p.account_id.unwrap_or_default())?
        .ok_or_else(|| AppError::NotFound("The account no longer exists.".into()))?;
    if user.email_confirmed {
        return Err(AppError::Conflict(format!("The address {} is already confirmed.", user.email)));
    }
    let mail = in_transaction(state, |tx| confirmation_in(state, tx, user.id, &user.email))?;
    mail.post(&state.mail);
    Ok(())
}

/// Opens a confirmation link: the address it was sent to becomes the account's confirmed address.
/// The link's use, the new address and the audit row land together: a refusal leaves the link
/// as it was.
pub fn confirm_email(state: &AppState, presented: &str, ip: Option<&str>) -> Result<Profile, AppError> {
    in_transaction(state, |tx| {
        let row = redeem(state.clock.now(), tx, CONFIRM, presented, "confirmation")?;
        email_tokens::mark_used(tx, row.id)?;
        match users::set_confirmed_email(tx, row.user_id, &row.email) {
            Err(e) if e.is_unique_violation() => {
                return Err(AppError::Conflict(format!("The address {} now belongs to another account.", row.email)))
            }
            other => other?,
        }
        let profile = accounts::profile_in(tx, row.user_id)?;
        let actor =
            Principal { account_id: Some(row.user_id), username: profile.username.clone(), ..Principal::default() };
        audit::record(tx, &actor, ip, "account.email.confirm", None, Some(&row.email))?;
        Ok(profile)
    })
}

/// Starts a change of address: the password is checked, the new address gets a confirmation
/// link, and the account keeps its old address until the link is opened.
pub fn request_email_change(
    state: &AppState,
    p: &Principal,
    new_email: &str,
    current_password: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let new_email = new_email.trim();
    password::check_email(new_email).map_err(AppError::bad_input)?;
    let conn = state.conn()?;
    let user = users::by_id(&conn, p.account_id.unwrap_or_default())?
        .ok_or_else(|| AppError::NotFound("The account no longer exists.".into()))?;
    if accounts::verify_password_in(&conn, &user.username, current_password, state.config.accounts.bcrypt_cost)?
        .is_none()
    {
        return Err(AppError::Forbidden("The current password is incorrect.".into()));
    }
    drop(conn);
    // The password was checked (bcrypt) before the write lock is taken.
    let mail = in_transaction(state, |tx| {
        if users::by_email(tx, new_email)?.is_some_and(|other| other.id != user.id) {
            return Err(AppError::Conflict(accounts::TAKEN.into()));
        }
        let mail = confirmation_in(state, tx, user.id, new_email)?;
        audit::record(tx, p, ip, "account.email.change", None, Some(new_email))?;
        Ok(mail)
    })?;
    mail.post(&state.mail);
    Ok(())
}

/// Emails a reset link when the name or address belongs to an account; says nothing either way,
/// and takes the same time either way: the lookup and the mail happen after the answer, on the
/// blocking pool, so a known address cannot be told from an unknown one by the response time.
pub fn request_password_reset(state: &AppState, name_or_email: &str, ip: Option<&str>) -> Result<(), AppError> {
    let (state, name_or_email, ip) = (state.clone(), name_or_email.to_owned(), ip.map(str::to_owned));
    let work = move || {
        if let Err(e) = send_password_reset(&state, &name_or_email, ip.as_deref()) {
            tracing::error!(error = %e, "a password reset request failed");
        }
    };
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => drop(runtime.spawn_blocking(work)),
        Err(_) => work(),
    }
    Ok(())
}

fn send_password_reset(state: &AppState, name_or_email: &str, ip: Option<&str>) -> Result<(), AppError> {
    let conn = state.conn()?;
    let Some(user) =
        users::by_name_or_email(&conn, name_or_email.trim())?.filter(|u| !u.is_organization && !u.is_disabled)
    else {
        return Ok(());
    };
    // A directory account's password lives in the directory; a local one would bypass it.
    if crate::db::directory::dn_of(&conn, user.id)?.is_some() {
        return Ok(());
    }
    drop(conn);
    let hours = state.config.accounts.password_reset_hours;
    let mail = in_transaction(state, |tx| {
        let t = issue(state.clock.now(), tx, user.id, RESET, &user.email, hours)?;
        let link = state.urls.reset_password(&t);
        let mail =
            notify::record(tx, RESET, templates::reset_password::render(&user.email, &user.username, &link, hours))?;
        let actor = Principal { account_id: Some(user.id), username: user.username.clone(), ..Principal::default() };
        audit::record(tx, &actor, ip, "account.reset.request", None, None)?;
        Ok(mail)
    })?;
    mail.post(&state.mail);
    Ok(())
}

/// Opens a reset link: sets the new password, signs the account out everywhere, and (the link
/// proved the mailbox) marks the address confirmed.
pub fn complete_password_reset(
    state: &AppState,
    presented: &str,
    new_password: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    // The policy first, so a refused password does not use up the link.
    password::check_strength(new_password).map_err(AppError::bad_input)?;
    let hash = bcrypt::hash(new_password, state.config.accounts.bcrypt_cost).map_err(AppError::internal)?;
    // The link's use, the password, the end of every session and the audit row land together.
    let username = in_transaction(state, |tx| {
        let row = redeem(state.clock.now(), tx, RESET, presented, "password reset")?;
        email_tokens::mark_used(tx, row.id)?;
        users::set_password_hash(tx, row.user_id, &hash)?;
        sessions::delete_for_user(tx, row.user_id, None)?;
        let user =
            users::by_id(tx, row.user_id)?.ok_or_else(|| AppError::NotFound("The account no longer exists.".into()))?;
        if user.email.eq_ignore_ascii_case(&row.email) {
            users::set_email_confirmed(tx, row.user_id)?;
        }
        let actor = Principal { account_id: Some(user.id), username: user.username.clone(), ..Principal::default() };
        audit::record(tx, &actor, ip, "account.reset", None, None)?;
        Ok(user.username)
    })?;
    state.logins.forget_account(&username);
    Ok(())
}

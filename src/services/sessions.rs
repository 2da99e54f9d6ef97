//! Sign-in sessions: a random token in an `HttpOnly` cookie, stored server-side as a SHA-256 with
//! an expiry. A CSRF token is derived from the session token with the server key, so it is bound
//! to the session without being stored (see `http::session` for how requests must carry it).
use super::accounts::{self, Profile};
use super::permissions::Principal;
use super::{audit, in_transaction, principals, two_factor};
use crate::db::sql::Sql;
use crate::db::{sessions, users};
use crate::domain::token;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{DateTime, Duration};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Instant;

/// The one message for every failed sign-in: it never tells an unknown account from a wrong
/// password or a disabled account.
pub const BAD_CREDENTIALS: &str = "The username or password is incorrect.";

pub struct SignedIn {
    /// The cookie value; only its hash is stored.
    pub token: String,
    pub csrf_token: String,
    pub max_age_days: u32,
    pub profile: Profile,
}

/// A valid session on a request.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: i64,
    pub user: users::UserRow,
    pub principal: Principal,
    pub csrf_token: String,
}

/// What a right password leads to: a session, or (for an account with two-factor
/// authentication) the second step, carried by `token` in the browser's cookie.
pub enum SignInOutcome {
    SignedIn(SignedIn),
    SecondStep { token: String },
}

pub fn sign_in(state: &AppState, name: &str, password: &str, ip: Option<&str>) -> Result<SignInOutcome, AppError> {
    let attempt = state.logins.attempt(Some(name), ip);
    state.logins.refuse_if_exhausted(&attempt)?;
    let mut conn = state.conn()?;
    // With `[ldap]` the directory decides for every name that is not a local account.
    let Some(user) = super::directory_signin::verify_password_in(state, &mut conn, name, password, ip)? else {
        state.logins.record_failure(&attempt, Instant::now());
        let attempt = Principal { username: name.chars().take(64).collect(), ..Principal::default() };
        audit::record(&conn, &attempt, ip, "signin.failed", None, None)?;
        return Err(AppError::Unauthorized { message: BAD_CREDENTIALS.into(), basic_realm: false });
    };
    // Before the failures are forgotten: a right password must not reset the budget for codes.
    if let Some(token) = two_factor::second_step_needed_in(&conn, user.id, ip, state.clock.now())? {
        return Ok(SignInOutcome::SecondStep { token });
    }
    state.logins.forget_account(name);
    start_in(state, &conn, &user, ip, None).map(SignInOutcome::SignedIn)
}

/// Opens a session for an account whose credentials were checked (password, and code if any).
/// Runs on the caller's connection.
pub(super) fn start_in(
    state: &AppState,
    conn: &dyn Sql,
    user: &users::UserRow,
    ip: Option<&str>,
    provider: Option<&str>,
) -> Result<SignedIn, AppError> {
    let days = state.config.accounts.session_days;
    let session_token = token::generate();
    let now = state.clock.now();
    let expires_at = (now + Duration::days(i64::from(days))).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    sessions::purge_expired(conn, &crate::domain::clock::text(now))?;
    sessions::insert(conn, &token::hash(&session_token), user.id, &expires_at, ip)?;
    let actor = Principal { account_id: Some(user.id), username: user.username.clone(), ..Principal::default() };
    match provider {
        None => audit::record(conn, &actor, ip, "signin", None, None)?,
        Some(name) => audit::record(conn, &actor, ip, "signin.oidc", None, Some(name))?,
    }
    Ok(SignedIn {
        csrf_token: csrf_token(&state.server_key, &session_token),
        token: session_token,
        max_age_days: days,
        profile: accounts::profile_in(conn, user.id)?,
    })
}

/// The session behind a cookie token; `None` when unknown, expired or its account is disabled.
pub fn resolve(state: &AppState, session_token: &str) -> Result<Option<Session>, AppError> {
    let conn = &state.conn()?;
    let Some(row) = sessions::by_hash(conn, &token::hash(session_token))? else {
        return Ok(None);
    };
    if DateTime::parse_from_rfc3339(&row.expires_at).map_or(true, |t| t <= state.clock.now()) {
        sessions::delete(conn, row.id)?;
        return Ok(None);
    }
    let Some(user) = users::by_id(conn, row.user_id)?.filter(|u| !u.is_disabled && !u.is_organization) else {
        return Ok(None);
    };
    let principal = principals::for_user_in(conn, &user, &state.config.accounts)?;
    Ok(Some(Session { id: row.id, user, principal, csrf_token: csrf_token(&state.server_key, session_token) }))
}

/// Ends the session; the end and its audit row land together.
pub fn sign_out(state: &AppState, session: &Session, ip: Option<&str>) -> Result<(), AppError> {
    in_transaction(state, |tx| {
        sessions::delete(tx, session.id)?;
        audit::record(tx, &session.principal, ip, "signout", None, None)
    })
}

/// HMAC of the session token under the server key, base64url.
pub fn csrf_token(server_key: &[u8], session_token: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(csrf_mac(server_key, session_token).finalize().into_bytes())
}

/// Compares a presented CSRF token with the session's in constant time.
pub fn csrf_matches(server_key: &[u8], session_token: &str, presented: &str) -> bool {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(presented.trim())
        .is_ok_and(|bytes| csrf_mac(server_key, session_token).verify_slice(&bytes).is_ok())
}

fn csrf_mac(server_key: &[u8], session_token: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(server_key).expect("HMAC accepts any key length");
    mac.update(b"galley-csrf:");
    mac.update(session_token.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_are_bound_to_the_session_and_the_server() {
        let t = csrf_token(b"server", "session-a");
        assert!(csrf_matches(b"server", "session-a", &t));
        assert!(!csrf_matches(b"server", "session-b", &t));
        assert!(!csrf_matches(b"other", "session-a", &t));
        assert!(!csrf_matches(b"server", "session-a", "not base64!"));
    }
}

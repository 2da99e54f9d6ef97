//! Read access to a private feed (`[feed] require_auth`): HTTP Basic credentials whose password is
//! an API key or the account's password. Verified credentials are remembered for a few minutes
//! (`cache::feed_access`); failed checks count against the sign-in limits.
use crate::cache::feed_access::{FeedAccessCache, Verified};
use crate::db::{credential_epoch, users};
use crate::error::AppError;
use crate::services::{accounts, keys};
use crate::state::AppState;
use std::time::Instant;

pub fn unauthorized() -> AppError {
    AppError::Unauthorized {
        message: "This feed requires credentials: use an API key (or your password) as the password.".into(),
        basic_realm: true,
    }
}

/// The same refusal for a portal page, which a browser shows when its Basic prompt is cancelled:
/// it names the sign-in page, where directory and `[[oidc]]` accounts sign in without a password.
pub fn unauthorized_page(sign_in_url: &str) -> AppError {
    AppError::Unauthorized {
        message: format!(
            "This site requires credentials: sign in at {sign_in_url}, or use an API key (or your password) as the password."
        ),
        basic_realm: true,
    }
}

fn unconfirmed() -> AppError {
    AppError::Forbidden(
        "Confirm your email address before reading this private feed: open the link we emailed you.".into(),
    )
}

/// A self-registered account reads a private feed only once its address is confirmed; accounts an
/// administrator created are vouched for. (Disabled accounts never get this far.)
fn may_read(user: &users::UserRow) -> bool {
    !user.self_registered || user.email_confirmed
}

/// What a browser's session cookie grants on a private feed: `false` when it is no live session.
/// Where packages are shown (`shows_packages`: feed reads, portal pages) the account must also be
/// one that may read the feed, as with Basic credentials; the JSON account API stays usable so an
/// unconfirmed account can still confirm its address. Blocking (SQL): call from a blocking thread.
pub fn session_grants(state: &AppState, session_token: &str, shows_packages: bool) -> Result<bool, AppError> {
    let Some(session) = super::sessions::resolve(state, session_token)? else {
        return Ok(false);
    };
    if shows_packages && !may_read(&session.user) {
        return Err(unconfirmed());
    }
    Ok(true)
}

/// Reads the stored credential epoch into the cache. Blocking (SQL): call from a blocking thread.
pub fn refresh_stored_epoch(state: &AppState) -> Result<(), AppError> {
    let value = credential_epoch::stored(&state.conn()?)?;
    state.feed_access.set_stored_epoch(value);
    Ok(())
}

/// Checks Basic credentials. Blocking on a cache miss (SQL, bcrypt): call from a blocking thread.
pub fn verify(state: &AppState, username: &str, password: &str, ip: Option<&str>) -> Result<(), AppError> {
    let fp = FeedAccessCache::fingerprint(username, password);
    if state.feed_access.is_fresh(&fp) {
        return Ok(());
    }
    let attempt = state.logins.attempt(Some(username), ip);
    state.logins.refuse_if_exhausted(&attempt)?;
    let epochs = Verified::now(&state.feed_access);
    // The key check takes (and gives back) its own connection before this one is taken.
    let by_key = keys::authenticate(state, password).ok();
    let conn = state.conn()?;
    let by_key = match by_key {
        Some(principal) => users::by_name(&conn, &principal.username)?,
        None => None,
    };
    let user = match by_key {
        Some(user) => Some(user),
        None => accounts::verify_password_in(&conn, username, password, state.config.accounts.bcrypt_cost)?,
    };
    let Some(user) = user else {
        state.logins.record_failure(&attempt, Instant::now());
        return Err(unauthorized());
    };
    if !may_read(&user) {
        return Err(unconfirmed());
    }
    state.feed_access.remember(fp, epochs);
    Ok(())
}

/// True when the cache already vouches for these credentials (no blocking work needed).
pub fn is_remembered(state: &AppState, username: &str, password: &str) -> bool {
    state.feed_access.is_fresh(&FeedAccessCache::fingerprint(username, password))
}

//! The second step of signing in to an account with two-factor authentication: the code (or a
//! recovery code) that turns a half-finished sign-in into a session. Code guesses count against
//! the same sign-in limits as passwords; the account's failures are forgotten only once the code
//! was right.
use super::sessions::{self, SignInOutcome, SignedIn};
use super::{audit, in_transaction, permissions::Principal, two_factor};
use crate::error::AppError;
use crate::state::AppState;
use std::time::Instant;

/// Finishes the sign-in `pending` (the browser's cookie) with `code`.
pub fn complete(state: &AppState, pending: &str, code: &str, ip: Option<&str>) -> Result<SignedIn, AppError> {
    let (pending_id, user) = two_factor::pending_user_in(&state.conn()?, pending, state.clock.now())?;
    let attempt = state.logins.attempt(Some(&user.username), ip);
    state.logins.refuse_if_exhausted(&attempt)?;
    // The code's use (its step, or the recovery code), the end of the half-finished sign-in and
    // the session land together. A wrong code commits only its audit row (the outer `Ok`).
    let outcome = in_transaction(state, |tx| {
        if let Err(refused) = two_factor::check_sign_in_code_in(tx, &user, code, ip, state.clock.now()) {
            let actor =
                Principal { account_id: Some(user.id), username: user.username.clone(), ..Principal::default() };
            audit::record(tx, &actor, ip, "signin.2fa-failed", None, None)?;
            return Ok(Err(refused));
        }
        two_factor::consume_pending_in(tx, pending_id)?;
        sessions::start_in(state, tx, &user, ip, None).map(Ok)
    })?;
    match &outcome {
        Ok(_) => state.logins.forget_account(&user.username),
        Err(_) => state.logins.record_failure(&attempt, Instant::now()),
    }
    outcome
}

pub const CODE_NEEDED: &str = "This account uses two-factor authentication: send the current code from the authenticator app (or a recovery code) as \"code\" with the username and password.";

/// Signing in in one request (the JSON API): the password, and the code when the account has
/// two-factor authentication on.
pub fn sign_in_with_code(
    state: &AppState,
    name: &str,
    password: &str,
    code: Option<&str>,
    ip: Option<&str>,
) -> Result<SignedIn, AppError> {
    match sessions::sign_in(state, name, password, ip)? {
        SignInOutcome::SignedIn(signed_in) => Ok(signed_in),
        SignInOutcome::SecondStep { token } => match code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => complete(state, &token, code, ip),
            None => Err(AppError::Unauthorized { message: CODE_NEEDED.into(), basic_realm: false }),
        },
    }
}

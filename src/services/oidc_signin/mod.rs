//! Signing in with an `[[oidc]]` provider: `start` keeps a short-lived, single-use record of the
//! sign-in (state, nonce, PKCE verifier) bound to the browser's pre-session cookie and sends the
//! browser to the provider; `finish` takes that record back by the state the callback brings,
//! has the adapter exchange the code and verify the ID token, then decides the account
//! (`account.rs`) and opens a session. Every failure of `finish` counts against the address's
//! sign-in budget.
mod account;
pub mod claims;

use crate::db::oidc;
use crate::domain::token;
use crate::error::AppError;
use crate::oidc::{OidcError, Provider};
use crate::services::sessions::{self, SignedIn};
use crate::services::{accounts, blocking, in_transaction};
use crate::state::AppState;
use chrono::Duration;
use std::time::Instant;

/// How long a sign-in may stay at the provider before its callback is refused.
const LOGIN_MINUTES: i64 = 10;

pub const STALE: &str =
    "This sign-in has expired, was already used, or was started in another browser; start it again from the sign-in page.";

/// What the callback brings (`code` and `state`, or the provider's `error`).
#[derive(Debug, Default)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// How a finished callback ended.
pub enum Finished {
    /// A session was opened; go to `return_url`.
    SignedIn { signed_in: SignedIn, return_url: String },
    /// The provider was linked to the signed-in account.
    Linked,
}

fn provider<'a>(state: &'a AppState, name: &str) -> Result<&'a Provider, AppError> {
    state.oidc.get(name).ok_or_else(|| AppError::NotFound(format!("There is no sign-in provider named '{name}'.")))
}

fn adapter_error(name: &str, e: OidcError) -> AppError {
    match e {
        OidcError::Unreachable(detail) => AppError::Unavailable {
            message: format!("{name} cannot be reached now ({detail}); try again later or sign in with a password."),
            retry_after: 60,
        },
        OidcError::CodeRefused(error) => {
            AppError::BadRequest(format!("{name} did not accept the sign-in code ({error}); start the sign-in again."))
        }
        OidcError::BadToken(reason) => AppError::BadRequest(format!("The sign-in with {name} was refused: {reason}.")),
    }
}

/// Starts a sign-in (or, with `link_user_id`, the linking of the provider to that account) in the
/// browser holding the pre-session cookie `browser`; returns the provider's authorization URL.
pub async fn start(
    state: &AppState,
    name: &str,
    browser: &str,
    return_url: &str,
    link_user_id: Option<i64>,
) -> Result<String, AppError> {
    let provider = provider(state, name)?;
    let name = provider.config.name.clone();
    let auth = provider.authorize().await.map_err(|e| adapter_error(&name, e))?;
    let pending = oidc::PendingLogin {
        provider: name,
        browser_hash: token::hash(browser),
        nonce: auth.nonce,
        pkce_verifier: auth.pkce_verifier,
        return_url: return_url.to_owned(),
        link_user_id,
        expires_at: (state.clock.now() + Duration::minutes(LOGIN_MINUTES))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let (st, state_hash) = (state.clone(), token::hash(&auth.state));
    blocking(move || {
        let conn = st.conn()?;
        oidc::purge_expired_logins(&conn, &st.clock.now_text())?;
        Ok(oidc::insert_login(&conn, &state_hash, &pending)?)
    })
    .await?;
    Ok(auth.url)
}

/// Finishes a sign-in at the callback. `browser` is the pre-session cookie, `current_user` the
/// signed-in account (needed to finish a link).
pub async fn finish(
    state: &AppState,
    name: &str,
    browser: Option<&str>,
    callback: Callback,
    current_user: Option<i64>,
    ip: Option<&str>,
) -> Result<Finished, AppError> {
    let attempt = state.logins.attempt(None, ip);
    state.logins.refuse_if_exhausted(&attempt)?;
    let outcome = finish_checked(state, name, browser, callback, current_user, ip).await;
    if let Err(e) = &outcome {
        if !matches!(e, AppError::Internal(_) | AppError::Unavailable { .. }) {
            state.logins.record_failure(&attempt, Instant::now());
        }
    }
    outcome
}

async fn finish_checked(
    state: &AppState,
    name: &str,
    browser: Option<&str>,
    callback: Callback,
    current_user: Option<i64>,
    ip: Option<&str>,
) -> Result<Finished, AppError> {
    let provider = provider(state, name)?;
    let refused = || AppError::BadRequest(STALE.into());
    let state_hash = token::hash(callback.state.as_deref().filter(|s| !s.is_empty()).ok_or_else(refused)?);
    let st = state.clone();
    // Taken (deleted) before anything else is looked at: one callback per state, whatever happens.
    let pending = blocking(move || Ok(oidc::take_login(&st.conn()?, &state_hash)?)).await?.ok_or_else(refused)?;
    let fresh = chrono::DateTime::parse_from_rfc3339(&pending.expires_at).is_ok_and(|t| t > state.clock.now());
    let same_browser = browser.is_some_and(|b| !b.is_empty() && token::hash(b) == pending.browser_hash);
    if !fresh || !same_browser || !pending.provider.eq_ignore_ascii_case(&provider.config.name) {
        return Err(refused());
    }
    let config = provider.config.clone();
    if let Some(error) = callback.error {
        let error: String = error.chars().filter(char::is_ascii_graphic).take(64).collect();
        return Err(AppError::Forbidden(format!("{} did not sign you in ({error}).", config.name)));
    }
    let code = callback.code.filter(|c| !c.is_empty()).ok_or_else(|| {
        AppError::BadRequest(format!("{} sent no authorization code; start the sign-in again.", config.name))
    })?;
    let verified = provider
        .finish(&code, &pending.pkce_verifier, &pending.nonce)
        .await
        .map_err(|e| adapter_error(&config.name, e))?;
    let (st, ip) = (state.clone(), ip.map(ToOwned::to_owned));
    blocking(move || {
        let ip = ip.as_deref();
        let groups = claims::groups(&verified.claims, &config.groups_claim);
        // A refusal here commits on its own: it signs the person out everywhere.
        account::check_allowed(&st.conn()?, &config, &verified, &groups, ip)?;
        // The account (created on first sign-in), its link, admin role, organizations and the
        // session land together: a failure leaves no account without its link, nor a half sign-in.
        in_transaction(&st, |tx| {
            if let Some(link_user) = pending.link_user_id {
                if current_user != Some(link_user) {
                    return Err(AppError::Forbidden(
                        "Sign in to the account you are linking, then link it again.".into(),
                    ));
                }
                account::link(tx, &config, &verified, link_user, ip)?;
                return Ok(Finished::Linked);
            }
            let mut user = account::signing_in(tx, &config, &verified, ip)?;
            account::sync_admin(tx, &config, &mut user, &groups, ip)?;
            // Organizations from groups (`[[group_mapping]]`): the same rule as a directory sign-in.
            crate::services::directory_groups::apply_group_memberships(
                tx,
                &st.config.group_mapping,
                &user,
                &groups,
                &format!("oidc:{}", config.name),
            )?;
            oidc::touch(tx, &config.name, &verified.subject)?;
            let signed_in = sessions::start_in(&st, tx, &user, ip, Some(&config.name))?;
            let return_url =
                crate::domain::web_url::local_path(&pending.return_url).unwrap_or_else(|| st.urls.portal_home());
            Ok(Finished::SignedIn { signed_in, return_url })
        })
    })
    .await
}

/// The providers, with whether the account is linked to each (the sign-in providers page).
pub fn linked_providers(state: &AppState, user_id: i64) -> Result<Vec<(String, bool)>, AppError> {
    let linked = oidc::providers_of(&state.conn()?, user_id)?;
    Ok(state.oidc.names().map(|n| (n.to_owned(), linked.iter().any(|l| l.eq_ignore_ascii_case(n)))).collect())
}

/// Checks the password of the signed-in account before it may link a provider: linking is
/// confirmed with the account's own password, never inferred from an email address.
pub fn confirm_password(state: &AppState, user_id: i64, password: &str, ip: Option<&str>) -> Result<(), AppError> {
    let conn = state.conn()?;
    let user = crate::db::users::by_id(&conn, user_id)?
        .ok_or_else(|| AppError::NotFound("The account no longer exists.".into()))?;
    let attempt = state.logins.attempt(Some(&user.username), ip);
    state.logins.refuse_if_exhausted(&attempt)?;
    if accounts::verify_password_in(&conn, &user.username, password, state.config.accounts.bcrypt_cost)?.is_none() {
        state.logins.record_failure(&attempt, Instant::now());
        return Err(AppError::Forbidden("The password is incorrect.".into()));
    }
    Ok(())
}

//! Two-factor authentication of local accounts: TOTP (RFC 6238: SHA-1, 6 digits, 30-second
//! steps, what authenticator apps expect) with one-time recovery codes. Enrolment, the code
//! check at sign-in (one step of clock skew either way, each code accepted once), turning it off,
//! and the administrator's reset. The second sign-in step itself is `two_factor_sign_in`.
use super::permissions::Principal;
use super::{accounts, audit, in_transaction};
use crate::db::sql::Sql;
use crate::db::{self, two_factor, users};
use crate::domain::token;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use totp_rs::{Algorithm, TOTP};

/// Shown in the authenticator app above the account name.
const ISSUER: &str = "Galley";
const STEP_SECONDS: u64 = 30;
/// 160 bits, the length RFC 4226 recommends and authenticator apps expect.
const SECRET_BYTES: usize = 20;
const RECOVERY_CODES: usize = 10;
/// Lowercase letters and digits without the look-alikes (0/o, 1/l/i).
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// How long a browser may take between the password and the code.
pub const PENDING_MINUTES: i64 = 5;

pub const WRONG_CODE: &str =
    "The code is incorrect; enter the current 6-digit code from your authenticator app, or a recovery code.";
pub const CODE_ALREADY_USED: &str = "That code was already used; wait for the next code from your authenticator app.";
pub const ENROL_WRONG_CODE: &str =
    "The code is incorrect; scan the QR code (or type the secret) into your authenticator app and enter the 6-digit code it shows.";
pub const PENDING_EXPIRED: &str = "This sign-in has expired; sign in with your password again.";
pub const ALREADY_ON: &str =
    "Two-factor authentication is already on; turn it off first to enrol another authenticator.";
pub const NOT_ON: &str = "Two-factor authentication is not on for this account.";

/// What the settings page shows about an account's 2FA.
pub struct Status {
    pub enabled: bool,
    pub recovery_codes_left: i64,
}

/// The secret being enrolled, as the settings page shows it: a QR code of `uri` and the secret in text.
pub struct Enrolment {
    pub secret_base32: String,
    /// The `otpauth://totp/…` URI authenticator apps read from the QR code.
    pub uri: String,
}

fn totp(secret: Vec<u8>, username: &str) -> Result<TOTP, AppError> {
    TOTP::new(Algorithm::SHA1, 6, 0, STEP_SECONDS, secret, Some(ISSUER.into()), username.to_owned())
        .map_err(|e| AppError::internal(anyhow::anyhow!("TOTP parameters: {e:?}")))
}

fn time_step(now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(30)
}

pub fn status(state: &AppState, user_id: i64) -> Result<Status, AppError> {
    let conn = state.conn()?;
    Ok(Status {
        enabled: two_factor::is_enabled(&conn, user_id)?,
        recovery_codes_left: two_factor::recovery_codes_left(&conn, user_id)?,
    })
}

/// The secret to enrol: the one already waiting for its confirming code (so reloading the page
/// does not invalidate a QR code already scanned), or a new one.
pub fn enrolment(state: &AppState, user: &users::UserRow) -> Result<Enrolment, AppError> {
    let conn = &state.conn()?;
    let secret = match two_factor::get(conn, user.id)? {
        Some(row) if row.enabled => return Err(AppError::Conflict(ALREADY_ON.into())),
        Some(row) => row.secret,
        None => {
            let mut secret = vec![0u8; SECRET_BYTES];
            rand::rng().fill(&mut secret[..]);
            two_factor::begin(conn, user.id, &secret)?;
            secret
        }
    };
    let t = totp(secret, &user.username)?;
    Ok(Enrolment { secret_base32: t.get_secret_base32(), uri: t.get_url() })
}

/// The step whose code `code` is (`now`, one before or one after: clocks drift), if any.
fn matching_step(t: &TOTP, code: &str, now: i64) -> Option<i64> {
    [now, now - 1, now + 1].into_iter().find(|step| u64::try_from(*step).is_ok_and(|s| t.check(code, s * STEP_SECONDS)))
}

/// A 6-digit code of the account's secret, accepted once: `Ok` or the refusal to show.
fn check_totp(
    conn: &dyn Sql,
    user: &users::UserRow,
    secret: Vec<u8>,
    code: &str,
    wrong: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(step) = matching_step(&totp(secret, &user.username)?, code, time_step(now)) else {
        return Err(AppError::BadRequest(wrong.into()));
    };
    if two_factor::use_step(conn, user.id, step)? {
        Ok(())
    } else {
        Err(AppError::BadRequest(CODE_ALREADY_USED.into()))
    }
}

/// Digits and letters only, lowercase: codes are typed with spaces or dashes.
fn normalize(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// Checks a code at sign-in: a TOTP code, or an unused recovery code (then used up).
/// The refusal is 401 with `WRONG_CODE` or `CODE_ALREADY_USED`. Runs on the caller's connection.
pub(super) fn check_sign_in_code_in(
    conn: &dyn Sql,
    user: &users::UserRow,
    code: &str,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let unauthorized = |message: String| AppError::Unauthorized { message, basic_realm: false };
    let Some(row) = two_factor::get(conn, user.id)?.filter(|r| r.enabled) else {
        return Err(unauthorized(PENDING_EXPIRED.into()));
    };
    let code = normalize(code);
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        return check_totp(conn, user, row.secret, &code, WRONG_CODE, now)
            .map_err(|e| unauthorized(e.client_message()));
    }
    if !code.is_empty() && two_factor::use_recovery_code(conn, user.id, &token::hash(&code))? {
        let left = two_factor::recovery_codes_left(conn, user.id)?;
        let actor = Principal { account_id: Some(user.id), username: user.username.clone(), ..Principal::default() };
        audit::record(conn, &actor, ip, "2fa.recovery-code", None, Some(&format!("{left} left")))?;
        return Ok(());
    }
    Err(unauthorized(WRONG_CODE.into()))
}

fn recovery_code() -> String {
    let mut rng = rand::rng();
    let chars: String =
        (0..10).map(|_| char::from(RECOVERY_ALPHABET[rng.random_range(0..RECOVERY_ALPHABET.len())])).collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// Confirms the enrolment with a current code: 2FA is on from now, and the recovery codes are
/// returned (to be shown once; only their hashes are kept).
pub fn confirm_enrolment(
    state: &AppState,
    p: &Principal,
    code: &str,
    ip: Option<&str>,
) -> Result<Vec<String>, AppError> {
    // The used step, the switch and the recovery codes land together.
    in_transaction(state, |tx| confirm_enrolment_in(tx, p, code, ip, state.clock.now()))
}

/// Runs inside the caller's transaction.
fn confirm_enrolment_in(
    conn: &dyn Sql,
    p: &Principal,
    code: &str,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<String>, AppError> {
    let user = users::by_id(conn, p.account_id.unwrap_or_default())?
        .ok_or_else(|| AppError::NotFound("The account no longer exists.".into()))?;
    let row = match two_factor::get(conn, user.id)? {
        Some(row) if row.enabled => return Err(AppError::Conflict(ALREADY_ON.into())),
        Some(row) => row,
        None => return Err(AppError::BadRequest(ENROL_WRONG_CODE.into())),
    };
    let code = normalize(code);
    check_totp(conn, &user, row.secret, &code, ENROL_WRONG_CODE, now)?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| token::hash(&normalize(c))).collect();
    two_factor::enable(conn, user.id, &hashes)?;
    audit::record(conn, p, ip, "2fa.enable", None, None)?;
    Ok(codes)
}

/// Turns 2FA off; the account's password is asked again (a session left open on a shared
/// computer must not be enough), with the sign-in limits.
pub fn disable(state: &AppState, p: &Principal, password: &str, ip: Option<&str>) -> Result<(), AppError> {
    let conn = state.conn()?;
    let user = users::by_id(&conn, p.account_id.unwrap_or_default())?
        .ok_or_else(|| AppError::NotFound("The account no longer exists.".into()))?;
    if !two_factor::is_enabled(&conn, user.id)? {
        return Err(AppError::Conflict(NOT_ON.into()));
    }
    let attempt = state.logins.attempt(Some(&user.username), ip);
    state.logins.refuse_if_exhausted(&attempt)?;
    if accounts::verify_password_in(&conn, &user.username, password, state.config.accounts.bcrypt_cost)?.is_none() {
        state.logins.record_failure(&attempt, std::time::Instant::now());
        return Err(AppError::Forbidden("The current password is incorrect.".into()));
    }
    drop(conn);
    in_transaction(state, |tx| {
        two_factor::remove(tx, user.id)?;
        audit::record(tx, p, ip, "2fa.disable", None, None)
    })
}

/// An administrator (a session of one, or the operator's CLI as `by`) removes a user's 2FA, for
/// a user who lost both the authenticator and the recovery codes. Audited with the user's name.
pub fn reset(state: &AppState, by: &Principal, username: &str, ip: Option<&str>) -> Result<(), AppError> {
    if !by.is_admin || by.key.is_some() {
        return Err(AppError::Forbidden("Only administrators manage accounts.".into()));
    }
    in_transaction(state, |tx| {
        let user = accounts::find_user_in(tx, username)?;
        if !two_factor::remove(tx, user.id)? {
            return Err(AppError::Conflict(format!("'{}' has no two-factor authentication to reset.", user.username)));
        }
        audit::record(tx, by, ip, "2fa.reset", None, Some(&user.username))
    })
}

/// The hook of password sign-in: for an account with 2FA on, the token of a half-finished
/// sign-in (stored hashed, valid `PENDING_MINUTES`) that the code must come with. Runs on the
/// caller's connection.
pub(super) fn second_step_needed_in(
    conn: &dyn Sql,
    user_id: i64,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<String>, AppError> {
    if !two_factor::is_enabled(conn, user_id)? {
        return Ok(None);
    }
    let pending = token::generate();
    let expires_at = (now + Duration::minutes(PENDING_MINUTES)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    two_factor::insert_pending(
        conn,
        &token::hash(&pending),
        user_id,
        &expires_at,
        ip,
        &crate::domain::clock::text(now),
    )?;
    Ok(Some(pending))
}

/// The account a half-finished sign-in belongs to; the token is spent by `consume_pending_in`.
/// Runs on the caller's connection.
pub(super) fn pending_user_in(
    conn: &dyn Sql,
    pending: &str,
    now: DateTime<Utc>,
) -> Result<(i64, users::UserRow), AppError> {
    let expired = || AppError::Unauthorized { message: PENDING_EXPIRED.into(), basic_realm: false };
    let row = two_factor::pending_by_hash(conn, &token::hash(pending))?.ok_or_else(expired)?;
    if chrono::DateTime::parse_from_rfc3339(&row.expires_at).map_or(true, |t| t <= now) {
        two_factor::delete_pending(conn, row.id)?;
        return Err(expired());
    }
    let user = users::by_id(conn, row.user_id)?.filter(|u| !u.is_disabled && !u.is_organization).ok_or_else(expired)?;
    Ok((row.id, user))
}

/// Ends a half-finished sign-in (it succeeded). Runs on the caller's connection.
pub(super) fn consume_pending_in(conn: &dyn Sql, id: i64) -> Result<(), AppError> {
    Ok(db::two_factor::delete_pending(conn, id)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_two_groups_of_five_and_normalize_to_ten_characters() {
        let code = recovery_code();
        assert_eq!(code.len(), 11, "{code}");
        assert_eq!(&code[5..6], "-");
        assert_eq!(normalize(&code).len(), 10);
        assert_eq!(normalize(" AbCde-fGhij "), "abcdefghij");
        assert_ne!(recovery_code(), recovery_code());
    }

    #[test]
    fn a_code_matches_its_step_and_one_step_either_side_only() {
        let t = totp(b"12345678901234567890".to_vec(), "alice").unwrap();
        let now = 1_000_000;
        for offset in [-1, 0, 1] {
            let code = t.generate(u64::try_from(now + offset).unwrap() * STEP_SECONDS);
            assert_eq!(matching_step(&t, &code, now), Some(now + offset), "offset {offset}");
        }
        let far = t.generate(u64::try_from(now + 2).unwrap() * STEP_SECONDS);
        let near: Vec<String> = (-1..=1).map(|o| t.generate(u64::try_from(now + o).unwrap() * STEP_SECONDS)).collect();
        if !near.contains(&far) {
            assert_eq!(matching_step(&t, &far, now), None);
        }
        // RFC 6238 appendix B, SHA-1, at T = 59 s: 94287082 (8 digits), so 287082 with 6.
        assert_eq!(t.generate(59), "287082");
    }
}

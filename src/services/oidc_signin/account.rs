//! What a verified ID token means for an account: who may sign in (`allowed_groups`, ending the
//! sessions of someone no longer allowed), which account it is (a linked one, or one created on
//! first sign-in; never an existing account found by its email address), and the admin role
//! (`admin_groups`).
use super::claims;
use crate::config::OidcConfig;
use crate::db::sql::Sql;
use crate::db::{oidc, sessions, users};
use crate::error::AppError;
use crate::oidc::Verified;
use crate::services::audit;
use crate::services::permissions::Principal;

fn actor(user: &users::UserRow) -> Principal {
    Principal { account_id: Some(user.id), username: user.username.clone(), ..Principal::default() }
}

/// Refuses a person outside `allowed_groups`. Their linked account (if any) is signed out
/// everywhere at once: being removed from the group must end access, not only new sign-ins.
pub(super) fn check_allowed(
    conn: &dyn Sql,
    config: &OidcConfig,
    verified: &Verified,
    groups: &[String],
    ip: Option<&str>,
) -> Result<(), AppError> {
    if config.allowed_groups.is_empty() || claims::in_any(groups, &config.allowed_groups) {
        return Ok(());
    }
    if let Some(user) =
        oidc::user_of(conn, &config.name, &verified.subject)?.and_then(|id| users::by_id(conn, id).ok().flatten())
    {
        let ended = sessions::delete_for_user(conn, user.id, None)?;
        audit::record(conn, &actor(&user), ip, "signin.oidc.refused", None, Some(&format!("{ended} sessions ended")))?;
    }
    Err(AppError::Forbidden(format!(
        "Your {} account is not in a group allowed to use this server; ask an administrator to add you.",
        config.name
    )))
}

/// Links the provider's subject to the signed-in account that asked for it.
pub(super) fn link(
    conn: &dyn Sql,
    config: &OidcConfig,
    verified: &Verified,
    user_id: i64,
    ip: Option<&str>,
) -> Result<users::UserRow, AppError> {
    let user =
        users::by_id(conn, user_id)?.ok_or_else(|| AppError::NotFound("The account no longer exists.".into()))?;
    match oidc::user_of(conn, &config.name, &verified.subject)? {
        Some(owner) if owner == user.id => {}
        Some(_) => {
            return Err(AppError::Conflict(format!(
                "This {} account is already linked to another Galley account.",
                config.name
            )))
        }
        None => oidc::link(conn, &config.name, &verified.subject, user.id)?,
    }
    audit::record(conn, &actor(&user), ip, "account.oidc.link", None, Some(&config.name))?;
    Ok(user)
}

/// The account this subject signs in to: the linked one, or a new one on first sign-in.
pub(super) fn signing_in(
    conn: &dyn Sql,
    config: &OidcConfig,
    verified: &Verified,
    ip: Option<&str>,
) -> Result<users::UserRow, AppError> {
    if let Some(id) = oidc::user_of(conn, &config.name, &verified.subject)? {
        return users::by_id(conn, id)?
            .filter(|u| !u.is_disabled && !u.is_organization)
            .ok_or_else(|| AppError::Forbidden("Your Galley account is disabled; ask an administrator.".into()));
    }
    create(conn, config, verified, ip)
}

fn create(
    conn: &dyn Sql,
    config: &OidcConfig,
    verified: &Verified,
    ip: Option<&str>,
) -> Result<users::UserRow, AppError> {
    let email = claims::string(&verified.claims, &config.email_claim)
        .filter(|e| crate::domain::password::check_email(e).is_ok())
        .ok_or_else(|| {
            AppError::Forbidden(format!(
                "{} sent no usable email address (claim '{}'); Galley needs one to create your account.",
                config.name, config.email_claim
            ))
        })?;
    // Never linked silently by address: the owner of that account must sign in with its
    // password and link the provider themselves.
    if users::by_email(conn, &email)?.is_some() {
        return Err(address_in_use(config));
    }
    let base = claims::string(&verified.claims, &config.username_claim)
        .and_then(|name| claims::username_base(&name))
        .or_else(|| claims::username_base(&email))
        .unwrap_or_else(|| "user".into());
    let confirmed = verified.claims.get("email_verified").and_then(serde_json::Value::as_bool) != Some(false);
    for candidate in claims::candidates(&base) {
        let new = users::NewUser {
            username: &candidate,
            email: &email,
            password_hash: None,
            is_admin: false,
            is_organization: false,
            self_registered: false,
        };
        // The database arbitrates: a name taken meanwhile is a UNIQUE violation, and the next
        // candidate is tried; only the email address can make every candidate fail.
        match conn.in_savepoint(|tx| users::insert(tx, &new)) {
            Ok(id) => {
                if confirmed {
                    users::set_email_confirmed(conn, id)?;
                }
                oidc::link(conn, &config.name, &verified.subject, id)?;
                let user =
                    users::by_id(conn, id)?.ok_or_else(|| AppError::internal(anyhow::anyhow!("user {id} vanished")))?;
                audit::record(conn, &actor(&user), ip, "account.register.oidc", None, Some(&config.name))?;
                return Ok(user);
            }
            Err(e) if e.is_unique_violation() && users::by_email(conn, &email)?.is_some() => {
                return Err(address_in_use(config))
            }
            Err(e) if e.is_unique_violation() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict(format!(
        "No free username was found for your {} account ('{base}' and 19 variants are taken); ask an administrator.",
        config.name
    )))
}

fn address_in_use(config: &OidcConfig) -> AppError {
    AppError::Conflict(format!(
        "An account with the email address {name} sent already exists here. Sign in with its password, then link \
         {name} under Account, Sign-in providers.",
        name = config.name
    ))
}

/// Grants or revokes the admin role by `admin_groups` (left alone when that list is empty).
pub(super) fn sync_admin(
    conn: &dyn Sql,
    config: &OidcConfig,
    user: &mut users::UserRow,
    groups: &[String],
    ip: Option<&str>,
) -> Result<(), AppError> {
    if config.admin_groups.is_empty() {
        return Ok(());
    }
    let admin = claims::in_any(groups, &config.admin_groups);
    if admin != user.is_admin {
        users::set_admin(conn, user.id, admin)?;
        user.is_admin = admin;
        let action = if admin { "admin.grant" } else { "admin.revoke" };
        let by = Principal { username: format!("oidc:{}", config.name), ..Principal::default() };
        audit::record(conn, &by, ip, action, None, Some(&user.username))?;
    }
    Ok(())
}

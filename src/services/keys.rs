//! API keys: creation (secret shown once) and authentication of a presented key.
use super::permissions::{KeyGrant, Principal};
use crate::db::{self, api_keys, users};
use crate::domain::api_key::{self, PackageGlobs, Scope};
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

pub struct NewKeyRequest<'a> {
    pub user_id: i64,
    pub description: &'a str,
    pub scopes: Vec<Scope>,
    pub globs: Vec<String>,
    pub expires_in_days: u32,
}

pub struct CreatedKey {
    pub id: i64,
    /// The full key; never stored, shown once.
    pub secret: String,
    pub prefix: String,
    pub expires_at: String,
}

pub const MAX_KEY_DAYS: u32 = 365;

pub fn create(conn: &Connection, server_key: &[u8], req: &NewKeyRequest<'_>) -> Result<CreatedKey, AppError> {
    if !(1..=MAX_KEY_DAYS).contains(&req.expires_in_days) {
        return Err(AppError::BadRequest(format!(
            "An API key expires after 1 to {MAX_KEY_DAYS} days, not {}.",
            req.expires_in_days
        )));
    }
    if req.scopes.is_empty() {
        return Err(AppError::BadRequest("An API key needs at least one scope.".into()));
    }
    let globs = PackageGlobs::parse(&req.globs).map_err(AppError::BadRequest)?;
    let generated = api_key::generate();
    let expires_at = (Utc::now() + Duration::days(i64::from(req.expires_in_days)))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let hash = api_key::hash(server_key, &generated.secret);
    let description = if req.description.trim().is_empty() { "API key" } else { req.description.trim() };
    let id = api_keys::insert(
        conn,
        &api_keys::NewApiKey {
            user_id: req.user_id,
            owner_id: req.user_id,
            description,
            prefix: &generated.visible_prefix,
            key_hash: &hash,
            scopes: &Scope::join(&req.scopes),
            globs: &globs.to_stored(),
            expires_at: &expires_at,
        },
    )?;
    db::audit::record(
        conn,
        &db::audit::AuditEntry {
            actor_id: Some(req.user_id),
            action: "apikey.create",
            detail: Some(&generated.visible_prefix),
            ..Default::default()
        },
    )?;
    Ok(CreatedKey { id, secret: generated.secret, prefix: generated.visible_prefix, expires_at })
}

/// Resolves a presented key to the principal acting with it, or says why it is refused (403).
pub fn authenticate(conn: &Connection, server_key: &[u8], secret: &str) -> Result<Principal, AppError> {
    let hash = api_key::hash(server_key, secret);
    let key = api_keys::by_hash(conn, &hash)?
        .ok_or_else(|| AppError::Forbidden("The API key is not valid for this server.".into()))?;
    if key.revoked_at.is_some() {
        return Err(AppError::Forbidden(format!("The API key {}… was deleted; create a new one.", key.prefix)));
    }
    let expires = DateTime::parse_from_rfc3339(&key.expires_at).map_err(AppError::internal)?;
    if expires <= Utc::now() {
        return Err(AppError::Forbidden(format!(
            "The API key {}… expired on {}; create a new one.",
            key.prefix,
            expires.format("%Y-%m-%d")
        )));
    }
    let owner = users::by_id(conn, key.owner_id)?
        .ok_or_else(|| AppError::Forbidden("The API key's account no longer exists.".into()))?;
    if owner.is_disabled {
        return Err(AppError::Forbidden(format!("The account '{}' is disabled.", owner.username)));
    }
    let scopes = key.scopes.split(',').filter_map(|s| Scope::parse(s).ok()).collect();
    // Recording last use is a write per push; pushes are rare next to reads, so this stays cheap.
    api_keys::touch(conn, key.id)?;
    Ok(Principal {
        account_id: Some(owner.id),
        acts_for: vec![owner.id],
        username: owner.username,
        is_admin: owner.is_admin,
        key: Some(KeyGrant { key_id: key.id, scopes, globs: PackageGlobs::from_stored(&key.globs) }),
    })
}

pub fn list(conn: &Connection, user_id: i64) -> Result<Vec<api_keys::ApiKeyRow>, AppError> {
    Ok(api_keys::for_user(conn, user_id)?)
}

pub fn revoke(conn: &Connection, user_id: i64, key_id: i64) -> Result<(), AppError> {
    if api_keys::revoke(conn, user_id, key_id)? {
        db::audit::record(
            conn,
            &db::audit::AuditEntry {
                actor_id: Some(user_id),
                action: "apikey.revoke",
                detail: Some(&key_id.to_string()),
                ..Default::default()
            },
        )?;
        Ok(())
    } else {
        Err(AppError::NotFound(format!("There is no active API key {key_id} of this user.")))
    }
}

//! API keys: creation (secret shown once), listing, regeneration, deletion, and authentication
//! of a presented key. Shared by the JSON API and `galley apikey`.
use super::audit;
use super::permissions::{authorize_org, may_publish_with_session, KeyGrant, OrgAction, Principal};
use super::{in_transaction, principals};
use crate::db::sql::Sql;
use crate::db::{api_keys, users};
use crate::domain::api_key::{self, PackageGlobs, Scope};
use crate::domain::id::PackageId;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

pub struct NewKeyRequest<'a> {
    pub user_id: i64,
    /// The signed-in user asking (portal, JSON API), whose policy applies
    /// (`require_2fa_for_publishers`); `None` for the operator's CLI.
    pub session: Option<&'a Principal>,
    /// The organization the key acts for; `None` = the user itself.
    pub owner: Option<&'a str>,
    pub description: &'a str,
    pub scopes: Vec<Scope>,
    pub globs: Vec<String>,
    /// Explicitly selected package ids (in addition to the glob patterns).
    pub package_ids: Vec<String>,
    pub expires_in_days: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct CreatedKey {
    pub id: i64,
    /// The full key; never stored, shown once.
    #[serde(rename = "key")]
    pub secret: String,
    pub prefix: String,
    pub expires_at: String,
}

/// A key as its owners see it in listings (never the secret).
#[derive(Debug, Clone, Serialize)]
pub struct KeySummary {
    pub id: i64,
    pub description: String,
    pub prefix: String,
    /// The account the key acts for (the user, or an organization).
    pub owner: String,
    pub created_by: String,
    pub scopes: Vec<String>,
    pub globs: Vec<String>,
    pub package_ids: Vec<String>,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub expired: bool,
}

pub const MAX_KEY_DAYS: u32 = 365;
const MAX_DESCRIPTION: usize = 200;

fn expiry(now: DateTime<Utc>, days: u32) -> String {
    (now + Duration::days(i64::from(days))).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Creates a key for `req.user_id` (or an organization it administers): the row and its audit
/// row land together.
pub fn create(state: &AppState, req: &NewKeyRequest<'_>, ip: Option<&str>) -> Result<CreatedKey, AppError> {
    if let Some(p) = req.session {
        may_publish_with_session(p)?;
    }
    if !(1..=MAX_KEY_DAYS).contains(&req.expires_in_days) {
        return Err(AppError::BadRequest(format!(
            "An API key expires after 1 to {MAX_KEY_DAYS} days, not {}.",
            req.expires_in_days
        )));
    }
    if req.scopes.is_empty() {
        return Err(AppError::BadRequest("An API key needs at least one scope.".into()));
    }
    let description = if req.description.trim().is_empty() { "API key" } else { req.description.trim() };
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(AppError::BadRequest(format!("The description is longer than {MAX_DESCRIPTION} characters.")));
    }
    let globs = PackageGlobs::parse(&req.globs).map_err(|e| AppError::BadRequest(format!("Bad glob pattern: {e}.")))?;
    let mut ids: Vec<String> = Vec::new();
    for id in req.package_ids.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        let parsed =
            PackageId::parse(id).map_err(|e| AppError::BadRequest(format!("'{id}' is not a package id: {e}.")))?;
        ids.push(parsed.as_str().to_owned());
    }
    let checked = CheckedKey { description, globs, ids, expires_at: expiry(state.clock.now(), req.expires_in_days) };
    in_transaction(state, |tx| insert_key(tx, &state.server_key, req, &checked, ip))
}

/// What `create` checked and decided before its transaction.
struct CheckedKey<'a> {
    description: &'a str,
    globs: PackageGlobs,
    ids: Vec<String>,
    expires_at: String,
}

/// The checked request stored; runs inside the caller's transaction.
fn insert_key(
    conn: &dyn Sql,
    server_key: &[u8],
    req: &NewKeyRequest<'_>,
    checked: &CheckedKey<'_>,
    ip: Option<&str>,
) -> Result<CreatedKey, AppError> {
    let CheckedKey { description, globs, ids, expires_at } = checked;
    let creator =
        users::by_id(conn, req.user_id)?.ok_or_else(|| AppError::NotFound("The account no longer exists.".into()))?;
    let owner = match req.owner {
        None => creator.clone(),
        Some(name) => {
            let org = users::by_name(conn, name)?
                .filter(|u| u.is_organization)
                .ok_or_else(|| AppError::NotFound(format!("There is no organization named '{name}'.")))?;
            // The creator must really be an admin member (site admins too): the key checks its
            // creator's membership on every use.
            let p = principals::for_user_in(conn, &creator, &crate::config::AccountsConfig::default())?;
            authorize_org(&Principal { is_admin: false, ..p }, OrgAction::Manage, org.id, &org.username)?;
            org
        }
    };
    let generated = api_key::generate();
    let hash = api_key::hash(server_key, &generated.secret);
    let id = api_keys::insert(
        conn,
        &api_keys::NewApiKey {
            user_id: creator.id,
            owner_id: owner.id,
            description,
            prefix: &generated.visible_prefix,
            key_hash: &hash,
            scopes: &Scope::join(&req.scopes),
            globs: &globs.to_stored(),
            package_ids: &ids.join("\n"),
            expires_at,
        },
    )?;
    let actor = Principal { account_id: Some(creator.id), username: creator.username.clone(), ..Principal::default() };
    let detail = format!("key {id} {}… for {}", generated.visible_prefix, owner.username);
    audit::record(conn, &actor, ip, "apikey.create", None, Some(&detail))?;
    Ok(CreatedKey { id, secret: generated.secret, prefix: generated.visible_prefix, expires_at: expires_at.clone() })
}

fn lines(text: &str) -> Vec<String> {
    text.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

fn is_expired(expires_at: &str, now: DateTime<Utc>) -> bool {
    DateTime::parse_from_rfc3339(expires_at).map_or(true, |t| t <= now)
}

fn summary(conn: &dyn Sql, k: api_keys::ApiKeyRow, now: DateTime<Utc>) -> Result<KeySummary, AppError> {
    let name =
        |id: i64| -> Result<String, AppError> { Ok(users::by_id(conn, id)?.map(|u| u.username).unwrap_or_default()) };
    Ok(KeySummary {
        id: k.id,
        owner: name(k.owner_id)?,
        created_by: name(k.user_id)?,
        expired: is_expired(&k.expires_at, now),
        description: k.description,
        prefix: k.prefix,
        scopes: k.scopes.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        globs: lines(&k.globs),
        package_ids: lines(&k.package_ids),
        created_at: k.created_at,
        expires_at: k.expires_at,
        last_used_at: k.last_used_at,
    })
}

/// Every key a user created, deleted ones included (the CLI shows their state).
pub fn list(state: &AppState, user_id: i64) -> Result<Vec<api_keys::ApiKeyRow>, AppError> {
    Ok(api_keys::for_user(&state.conn()?, user_id)?)
}

/// The live keys the principal may manage: its own and those of organizations it administers.
pub fn list_manageable(state: &AppState, p: &Principal) -> Result<Vec<KeySummary>, AppError> {
    let conn = state.conn()?;
    let mut rows = Vec::new();
    for owner in &p.manages {
        rows.extend(api_keys::for_owner(&conn, *owner)?);
    }
    rows.retain(|k| k.revoked_at.is_none());
    rows.sort_by_key(|k| k.id);
    rows.into_iter().map(|k| summary(&conn, k, state.clock.now())).collect()
}

/// A live key the principal may regenerate or delete; any other is "not found", so key ids of
/// other accounts are not revealed.
fn manageable(conn: &dyn Sql, p: &Principal, key_id: i64) -> Result<api_keys::ApiKeyRow, AppError> {
    api_keys::by_id(conn, key_id)?
        .filter(|k| k.revoked_at.is_none() && p.key.is_none() && p.manages.contains(&k.owner_id))
        .ok_or_else(|| AppError::NotFound(format!("You have no API key {key_id}.")))
}

/// A new secret for the key; scopes, packages and lifetime stay (the lifetime counts anew).
pub fn regenerate(state: &AppState, p: &Principal, key_id: i64, ip: Option<&str>) -> Result<CreatedKey, AppError> {
    in_transaction(state, |tx| regenerate_in(tx, &state.server_key, p, key_id, ip, state.clock.now()))
}

/// Runs inside the caller's transaction.
fn regenerate_in(
    conn: &dyn Sql,
    server_key: &[u8],
    p: &Principal,
    key_id: i64,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<CreatedKey, AppError> {
    let key = manageable(conn, p, key_id)?;
    let lifetime_days =
        match (DateTime::parse_from_rfc3339(&key.created_at), DateTime::parse_from_rfc3339(&key.expires_at)) {
            // To the nearest day: `created_at` has milliseconds, `expires_at` whole seconds.
            (Ok(created), Ok(expires)) => {
                u32::try_from((expires - created + Duration::hours(12)).num_days()).unwrap_or(MAX_KEY_DAYS)
            }
            _ => MAX_KEY_DAYS,
        }
        .clamp(1, MAX_KEY_DAYS);
    let generated = api_key::generate();
    let expires_at = expiry(now, lifetime_days);
    if !api_keys::regenerate(
        conn,
        key.id,
        &generated.visible_prefix,
        &api_key::hash(server_key, &generated.secret),
        &expires_at,
    )? {
        return Err(AppError::NotFound(format!("You have no API key {key_id}.")));
    }
    let detail = format!("key {key_id} {}… (was {}…)", generated.visible_prefix, key.prefix);
    audit::record(conn, p, ip, "apikey.regenerate", None, Some(&detail))?;
    Ok(CreatedKey { id: key.id, secret: generated.secret, prefix: generated.visible_prefix, expires_at })
}

/// Deletes the key: it is kept as a tombstone so its later use says it was deleted.
pub fn delete(state: &AppState, p: &Principal, key_id: i64, ip: Option<&str>) -> Result<(), AppError> {
    in_transaction(state, |tx| {
        let key = manageable(tx, p, key_id)?;
        api_keys::revoke_by_id(tx, key.id)?;
        audit::record(tx, p, ip, "apikey.delete", None, Some(&format!("key {key_id} {}…", key.prefix)))
    })
}

/// Resolves a presented key to the principal acting with it, or says why it is refused (403).
pub fn authenticate(state: &AppState, secret: &str) -> Result<Principal, AppError> {
    let hash = api_key::hash(&state.server_key, secret);
    let conn = &state.conn()?;
    let key = api_keys::by_hash(conn, &hash)?
        .ok_or_else(|| AppError::Forbidden("The API key is not valid for this server.".into()))?;
    if key.revoked_at.is_some() {
        return Err(AppError::Forbidden(format!("The API key {}… was deleted; create a new one.", key.prefix)));
    }
    let expires = DateTime::parse_from_rfc3339(&key.expires_at).map_err(AppError::internal)?;
    if expires <= state.clock.now() {
        return Err(AppError::Forbidden(format!(
            "The API key {}… expired on {}; create a new one.",
            key.prefix,
            expires.format("%Y-%m-%d")
        )));
    }
    let gone = || AppError::Forbidden("The API key's account no longer exists.".into());
    let creator = users::by_id(conn, key.user_id)?.ok_or_else(gone)?;
    let owner = if key.owner_id == key.user_id {
        creator.clone()
    } else {
        users::by_id(conn, key.owner_id)?.ok_or_else(gone)?
    };
    for account in [&creator, &owner] {
        if account.is_disabled {
            return Err(AppError::Forbidden(format!("The account '{}' is disabled.", account.username)));
        }
    }
    let scopes = key.scopes.split(',').filter_map(|s| Scope::parse(s).ok()).collect();
    let patterns: Vec<&str> = key.globs.lines().chain(key.package_ids.lines()).collect();
    // Stored patterns were validated at creation; failing closed here keeps a damaged row from
    // turning into a key for every package.
    let globs = PackageGlobs::parse(&patterns)
        .map_err(|e| AppError::internal(anyhow::anyhow!("API key {} has bad patterns: {e}", key.id)))?;
    let grant = KeyGrant { key_id: key.id, scopes, globs };
    let principal = principals::for_key_in(conn, &creator, &owner, grant, &state.config.accounts)?;
    // "Last used" is shown to the minute; recording it at most once a minute spares a CI job
    // that pushes many packages one write transaction per push.
    if last_use_is_stale(key.last_used_at.as_deref(), state.clock.now()) {
        api_keys::touch(conn, key.id)?;
    }
    Ok(principal)
}

/// Package ids (lowercase) the user's keys may be limited to on the key form: the packages the
/// user and its organizations own.
pub fn selectable_packages(state: &AppState, p: &Principal) -> Result<Vec<String>, AppError> {
    let conn = state.conn()?;
    let mut ids = Vec::new();
    for owner in &p.acts_for {
        ids.extend(crate::db::packages::owned_by(&conn, *owner)?);
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// True when a key's recorded last use is missing or more than a minute old.
fn last_use_is_stale(last_used_at: Option<&str>, now: DateTime<Utc>) -> bool {
    let Some(recorded) = last_used_at.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) else {
        return true;
    };
    now.signed_duration_since(recorded) >= chrono::Duration::minutes(1)
}

#[cfg(test)]
mod tests {
    use super::last_use_is_stale;

    #[test]
    fn last_use_is_recorded_at_most_once_a_minute() {
        let now = chrono::DateTime::parse_from_rfc3339("2024-05-06T07:08:09Z").unwrap().to_utc();
        let text = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        assert!(last_use_is_stale(None, now));
        assert!(!last_use_is_stale(Some(&text(now - chrono::Duration::seconds(10))), now));
        assert!(last_use_is_stale(Some(&text(now - chrono::Duration::seconds(61))), now));
        assert!(last_use_is_stale(Some("not a time"), now));
    }
}

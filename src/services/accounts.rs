//! Accounts: creating users and checking passwords.
use crate::db::{self, users};
use crate::domain::password;
use crate::error::AppError;
use rusqlite::Connection;

pub struct NewAccount<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub is_admin: bool,
}

pub fn create_user(conn: &Connection, account: &NewAccount<'_>, bcrypt_cost: u32) -> Result<i64, AppError> {
    password::check_username(account.username).map_err(AppError::BadRequest)?;
    password::check_email(account.email).map_err(AppError::BadRequest)?;
    password::check_strength(account.password).map_err(AppError::BadRequest)?;
    let hash = bcrypt::hash(account.password, bcrypt_cost).map_err(AppError::internal)?;
    let new = users::NewUser {
        username: account.username,
        email: account.email,
        password_hash: Some(&hash),
        is_admin: account.is_admin,
        is_organization: false,
    };
    match users::insert(conn, &new) {
        Ok(id) => Ok(id),
        Err(e) if e.is_unique_violation() => {
            Err(AppError::Conflict("That username or email address is already registered.".into()))
        }
        Err(e) => Err(e.into()),
    }
}

/// A bcrypt hash of a random string: verified when the user is unknown so that a wrong username
/// costs the same time as a wrong password and does not reveal which accounts exist.
const DUMMY_HASH: &str = "$2b$12$C6UzMDM.H6dfI/f/IKcEeO7f6VhR5lFnWJQ4H8H8hG3Gq6eF0w9y2";

/// Checks a username and password; `None` for any failure (unknown, disabled, wrong password).
pub fn verify_password(conn: &Connection, username: &str, password: &str) -> Result<Option<users::UserRow>, AppError> {
    let user = users::by_name(conn, username)?;
    let hash = user.as_ref().and_then(|u| u.password_hash.clone()).unwrap_or_else(|| DUMMY_HASH.to_owned());
    let ok = bcrypt::verify(password, &hash).unwrap_or(false);
    Ok(user.filter(|u| ok && !u.is_disabled && !u.is_organization))
}

pub fn find_user(conn: &Connection, username: &str) -> Result<users::UserRow, AppError> {
    users::by_name(conn, username)?.ok_or_else(|| AppError::NotFound(format!("There is no user named '{username}'.")))
}

pub fn set_admin(conn: &Connection, username: &str, admin: bool) -> Result<(), AppError> {
    let user = find_user(conn, username)?;
    users::set_admin(conn, user.id, admin)?;
    Ok(())
}

pub fn set_disabled(conn: &Connection, username: &str, disabled: bool) -> Result<(), AppError> {
    let user = find_user(conn, username)?;
    users::set_disabled(conn, user.id, disabled)?;
    Ok(())
}

pub fn list(conn: &Connection) -> Result<Vec<users::UserRow>, AppError> {
    Ok(users::list(conn)?)
}

pub fn audit_user_created(conn: &Connection, username: &str, by: &str) -> Result<(), AppError> {
    db::audit::record(
        conn,
        &db::audit::AuditEntry {
            actor_name: Some(by),
            action: "user.create",
            detail: Some(username),
            ..Default::default()
        },
    )?;
    Ok(())
}

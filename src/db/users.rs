//! Accounts: users and organizations.
use super::DbError;
use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub is_admin: bool,
    pub is_disabled: bool,
    pub is_organization: bool,
    pub email_confirmed: bool,
    pub created_at: String,
    /// Registered through the portal or the API rather than created by an administrator.
    pub self_registered: bool,
}

const COLUMNS: &str =
    "id, username, email, password_hash, is_admin, is_disabled, is_organization, email_confirmed, created_at, \
     self_registered";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: r.get(0)?,
        username: r.get(1)?,
        email: r.get(2)?,
        password_hash: r.get(3)?,
        is_admin: r.get(4)?,
        is_disabled: r.get(5)?,
        is_organization: r.get(6)?,
        email_confirmed: r.get(7)?,
        created_at: r.get(8)?,
        self_registered: r.get(9)?,
    })
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password_hash: Option<&'a str>,
    pub is_admin: bool,
    pub is_organization: bool,
    pub self_registered: bool,
}

pub fn insert(conn: &Connection, user: &NewUser<'_>) -> Result<i64, DbError> {
    conn.execute(
        "INSERT INTO users (username, username_lower, email, email_lower, password_hash, is_admin, is_organization,
                            created_at, self_registered)
         VALUES (?1, lower(?1), ?2, lower(?2), ?3, ?4, ?5, ?6, ?7)",
        params![
            user.username,
            user.email,
            user.password_hash,
            user.is_admin,
            user.is_organization,
            super::now_text(conn)?,
            user.self_registered
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn by_name(conn: &Connection, username: &str) -> Result<Option<UserRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE username_lower = lower(?1)");
    Ok(conn.query_row(&sql, [username], from_row).optional()?)
}

pub fn by_id(conn: &Connection, id: i64) -> Result<Option<UserRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], from_row).optional()?)
}

pub fn list(conn: &Connection) -> Result<Vec<UserRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM users ORDER BY username_lower");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn set_admin(conn: &Connection, id: i64, admin: bool) -> Result<(), DbError> {
    conn.execute("UPDATE users SET is_admin = ?2 WHERE id = ?1", params![id, admin])?;
    Ok(())
}

pub fn set_disabled(conn: &Connection, id: i64, disabled: bool) -> Result<(), DbError> {
    conn.execute("UPDATE users SET is_disabled = ?2 WHERE id = ?1", params![id, disabled])?;
    super::credential_epoch::bump(conn)
}

/// Finds an account by username or email address (sign-in accepts either).
pub fn by_name_or_email(conn: &Connection, name_or_email: &str) -> Result<Option<UserRow>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM users WHERE username_lower = lower(?1) OR email_lower = lower(?1) ORDER BY id LIMIT 1"
    );
    Ok(conn.query_row(&sql, [name_or_email], from_row).optional()?)
}

pub fn by_email(conn: &Connection, email: &str) -> Result<Option<UserRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email_lower = lower(?1)");
    Ok(conn.query_row(&sql, [email], from_row).optional()?)
}

pub fn set_password_hash(conn: &Connection, id: i64, hash: &str) -> Result<(), DbError> {
    conn.execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", params![id, hash])?;
    super::credential_epoch::bump(conn)
}

/// Sets the (confirmed) email address; a UNIQUE violation means another account has it.
pub fn set_confirmed_email(conn: &Connection, id: i64, email: &str) -> Result<(), DbError> {
    conn.execute(
        "UPDATE users SET email = ?2, email_lower = lower(?2), email_confirmed = 1 WHERE id = ?1",
        params![id, email],
    )?;
    Ok(())
}

pub fn set_email_confirmed(conn: &Connection, id: i64) -> Result<(), DbError> {
    conn.execute("UPDATE users SET email_confirmed = 1 WHERE id = ?1", [id])?;
    Ok(())
}

/// Addresses of enabled administrators (who receive support requests).
pub fn admin_emails(conn: &Connection) -> Result<Vec<String>, DbError> {
    let mut stmt = conn.prepare(
        "SELECT email FROM users WHERE is_admin = 1 AND is_disabled = 0 AND is_organization = 0 ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(rows)
}

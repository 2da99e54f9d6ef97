//! Rows the account-side `engines` tests stand on (accounts, packages, versions), inserted the
//! same way on both engines.
use super::sql::Sql;
use super::users::{self, NewUser};
use super::DbError;
use crate::values;

/// A user account named `name`, with `name@example.com`.
pub fn user(db: &dyn Sql, name: &str) -> Result<i64, DbError> {
    let email = format!("{name}@example.com");
    users::insert(
        db,
        &NewUser {
            username: name,
            email: &email,
            password_hash: Some("hash"),
            is_admin: false,
            is_organization: false,
            self_registered: true,
        },
    )
}

/// An organization account named `name`.
pub fn org(db: &dyn Sql, name: &str) -> Result<i64, DbError> {
    let email = format!("{name}@example.org");
    users::insert(
        db,
        &NewUser {
            username: name,
            email: &email,
            password_hash: None,
            is_admin: false,
            is_organization: true,
            self_registered: false,
        },
    )
}

/// A package row for `id` (no versions).
pub fn package(db: &dyn Sql, id: &str) -> Result<i64, DbError> {
    db.query_row(
        "INSERT INTO packages (package_id, id_lower, created_at) VALUES (?1, lower(?1), ?2) RETURNING id",
        values![id, db.now_text()?],
        |r| r.get(0),
    )
}

/// A version row of `package_key` in `status`, its file `size` bytes with hash `hash`.
pub fn version(db: &dyn Sql, package_key: i64, version: &str, status: &str, size: i64) -> Result<i64, DbError> {
    db.query_row(
        "INSERT INTO package_versions (package_key, version_original, version_normalized, version_lower, version_full,
             is_prerelease, is_semver2, authors, description, hash_sha512, size, status, created_at, published_at,
             last_edited_at)
         VALUES (?1, ?2, ?2, lower(?2), ?2, 0, 0, 'someone', 'a package', ?3, ?4, ?5, ?6, ?6, ?6) RETURNING id",
        values![package_key, version, format!("hash-of-{version}"), size, status, db.now_text()?],
        |r| r.get(0),
    )
}

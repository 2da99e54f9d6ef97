//! Rows the package-side `mod engines` tests start from, written through the same `&dyn Sql`
//! functions on both engines (an account, a pushed version).
use super::packages::{find_or_create, insert_version, NewVersion};
use super::sql::Sql;
use super::DbError;
use crate::domain::nupkg_builder::nuspec;
use crate::domain::nuspec::Nuspec;
use crate::domain::version_status::VersionStatus;
use crate::values;

/// A new account named `name` (its email is `name@x.test`); its id.
pub fn user(db: &dyn Sql, name: &str) -> i64 {
    db.query_row(
        "INSERT INTO users (username, username_lower, email, email_lower, created_at)
         VALUES (?1, lower(?1), ?1 || '@x.test', lower(?1) || '@x.test', 'now') RETURNING id",
        values![name],
        |r| r.get(0),
    )
    .unwrap()
}

/// Pushes `id` `version` (with `extra` inside the nuspec's metadata) as `status`, owned by
/// `owner`: (package key, version key), or the database's refusal.
pub fn push(
    db: &dyn Sql,
    id: &str,
    version: &str,
    extra: &str,
    status: VersionStatus,
    owner: i64,
) -> Result<(i64, i64), DbError> {
    let (package_key, _) = find_or_create(db, id, Some(owner))?;
    let manifest = Nuspec::parse(nuspec(id, version, extra).as_bytes()).unwrap();
    let v = NewVersion { package_key, nuspec: &manifest, hash_sha512: "hash", size: 1, status, pushed_by: Some(owner) };
    Ok((package_key, insert_version(db, &v)?))
}

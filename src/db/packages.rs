//! Packages, versions, owners and dependencies, on the shared SQL layer (`&dyn Sql`).
use super::sql::{Engine, Row, Sql};
use super::DbError;
use crate::domain::id::PackageId;
use crate::domain::nuspec::{License, Nuspec};
use crate::domain::records::{
    DependencyGroupRecord, DependencyRecord, PackageRecord, PackageTypeRecord, VersionRecord,
};
use crate::domain::version_status::VersionStatus;
use crate::values;
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct PackageRow {
    pub key: i64,
    pub package_id: String,
}

pub fn find(db: &dyn Sql, id_lower: &str) -> Result<Option<PackageRow>, DbError> {
    db.query_optional("SELECT id, package_id FROM packages WHERE id_lower = ?1", values![id_lower], |r| {
        Ok(PackageRow { key: r.get(0)?, package_id: r.get(1)? })
    })
}

/// Returns the package's key, creating the row (and making `owner_id` its first owner) when new.
pub fn find_or_create(db: &dyn Sql, package_id: &str, owner_id: Option<i64>) -> Result<(i64, bool), DbError> {
    let id_lower = PackageId::key_of(package_id);
    if let Some(row) = find(db, &id_lower)? {
        return Ok((row.key, false));
    }
    create(db, package_id, &id_lower, owner_id)
}

/// The insert of `find_or_create`. Another node's push of the same new id may commit between the
/// lookup and the insert: the conflict is taken (PostgreSQL waits for that push's commit) and its
/// row returned as an existing id, so the caller's checks answer as for any known id.
fn create(db: &dyn Sql, package_id: &str, id_lower: &str, owner_id: Option<i64>) -> Result<(i64, bool), DbError> {
    let now = db.now_text()?;
    let inserted: Option<i64> = db.query_optional(
        "INSERT INTO packages (package_id, id_lower, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (id_lower) DO NOTHING RETURNING id",
        values![package_id, id_lower, &now],
        |r| r.get(0),
    )?;
    let Some(key) = inserted else {
        let key = db.query_row("SELECT id FROM packages WHERE id_lower = ?1", values![id_lower], |r| r.get(0))?;
        return Ok((key, false));
    };
    if let Some(owner_id) = owner_id {
        db.execute(
            "INSERT INTO package_owners (package_key, user_id, added_at) VALUES (?1, ?2, ?3)",
            values![key, owner_id, now],
        )?;
    }
    Ok((key, true))
}

/// User ids owning the package.
pub fn owner_ids(db: &dyn Sql, package_key: i64) -> Result<Vec<i64>, DbError> {
    db.query_map("SELECT user_id FROM package_owners WHERE package_key = ?1", values![package_key], |r| r.get(0))
}

/// Status of a stored id+version, if it was ever pushed (including hard-deleted tombstones).
pub fn version_status(db: &dyn Sql, id_lower: &str, version_lower: &str) -> Result<Option<VersionStatus>, DbError> {
    db.query_optional(
        "SELECT v.status FROM package_versions v JOIN packages p ON p.id = v.package_key
         WHERE p.id_lower = ?1 AND v.version_lower = ?2",
        values![id_lower, version_lower],
        |r| r.get(0),
    )
}

pub struct NewVersion<'a> {
    pub package_key: i64,
    pub nuspec: &'a Nuspec,
    pub hash_sha512: &'a str,
    pub size: u64,
    pub status: VersionStatus,
    pub pushed_by: Option<i64>,
}

/// Inserts the version and its dependencies. A UNIQUE violation means another push of the same
/// id+version won the race; callers turn it into a 409 (`DbError::is_unique_violation`).
pub fn insert_version(db: &dyn Sql, v: &NewVersion<'_>) -> Result<i64, DbError> {
    let n = v.nuspec;
    let version = &n.version;
    let (license_expression, license_file) = match &n.license {
        Some(License::Expression(e)) => (Some(e.as_str()), None),
        Some(License::File(f)) => (None, Some(f.as_str())),
        None => (None, None),
    };
    let package_types: Vec<PackageTypeRecord> = n
        .package_types
        .iter()
        .map(|t| PackageTypeRecord { name: t.name.clone(), version: t.version.clone() })
        .collect();
    let package_types = serde_json::to_string(&package_types).unwrap_or_else(|_| "[]".into());
    let framework_assemblies = serde_json::to_string(&n.framework_assemblies).unwrap_or_else(|_| "[]".into());
    let repo = n.repository.as_ref();
    let version_key: i64 = db.query_row("INSERT INTO package_versions (
            package_key, version_original, version_normalized, version_lower, version_full, is_prerelease, is_semver2,
            title, authors, nuspec_owners, description, summary, release_notes, copyright, language, tags,
            project_url, icon_url, icon_file, readme_file, license_url, license_expression, license_file,
            require_license_acceptance, development_dependency, min_client_version,
            repository_type, repository_url, repository_branch, repository_commit, package_types, framework_assemblies,
            hash_sha512, size, status, pushed_by, created_at, published_at, last_edited_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23,
                 ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?37, ?37)
         RETURNING id", values![
            v.package_key,
            version.original(),
            version.normalized(),
            version.lower_normalized(),
            version.full(),
            version.is_prerelease(),
            n.is_semver2(),
            n.title.as_deref(),
            n.authors.as_str(),
            n.owners.as_deref(),
            n.description.as_str(),
            n.summary.as_deref(),
            n.release_notes.as_deref(),
            n.copyright.as_deref(),
            n.language.as_deref(),
            n.tags.join(" "),
            n.project_url.as_deref(),
            n.icon_url.as_deref(),
            n.icon.as_deref(),
            n.readme.as_deref(),
            n.license_url.as_deref(),
            license_expression,
            license_file,
            n.require_license_acceptance,
            n.development_dependency,
            n.min_client_version.as_deref(),
            repo.and_then(|r| r.kind.as_deref()),
            repo.and_then(|r| r.url.as_deref()),
            repo.and_then(|r| r.branch.as_deref()),
            repo.and_then(|r| r.commit.as_deref()),
            package_types,
            framework_assemblies,
            v.hash_sha512,
            i64::try_from(v.size).unwrap_or(i64::MAX),
            v.status,
            v.pushed_by,
            db.now_text()?,
        ], |r| r.get(0))?;
    let dep = "INSERT INTO package_dependencies
            (version_key, group_index, target_framework, dependency_id, version_range, include_assets, exclude_assets)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    for (index, group) in n.dependency_groups.iter().enumerate() {
        let index = i64::try_from(index).unwrap_or(i64::MAX);
        let framework = group.target_framework.as_deref();
        if group.dependencies.is_empty() {
            db.execute(
                dep,
                values![version_key, index, framework, None::<&str>, None::<&str>, None::<&str>, None::<&str>],
            )?;
        }
        for d in &group.dependencies {
            db.execute(
                dep,
                values![
                    version_key,
                    index,
                    framework,
                    d.id.as_str(),
                    d.range.to_normalized_string(),
                    d.include.as_deref(),
                    d.exclude.as_deref()
                ],
            )?;
        }
    }
    Ok(version_key)
}

/// Records that an id changed, in the change's own transaction: its search row is rebuilt now, its
/// feed documents are marked for rendering (see `docs_changes` in the schema) and, on PostgreSQL,
/// the other nodes are told at the commit (`cluster::notices`). Every change of an id passes here,
/// so this is the one place a node's change reaches the others.
pub fn record_change(db: &dyn Sql, package_key: i64) -> Result<(), DbError> {
    let id_lower: Option<String> = db.query_optional(
        "UPDATE packages SET docs_changes = docs_changes + 1 WHERE id = ?1 RETURNING id_lower",
        values![package_key],
        |r| r.get(0),
    )?;
    if let Some(id_lower) = id_lower {
        super::cluster::notices::publish(db, &id_lower)?;
    }
    super::search::reindex_package(db, package_key)
}

/// The change count an id's documents are about to be rendered from.
pub fn docs_changes(db: &dyn Sql, id_lower: &str) -> Result<i64, DbError> {
    Ok(db
        .query_optional("SELECT docs_changes FROM packages WHERE id_lower = ?1", values![id_lower], |r| r.get(0))?
        .unwrap_or(0))
}

pub fn mark_rendered(db: &dyn Sql, id_lower: &str, changes: i64) -> Result<(), DbError> {
    db.execute(
        "UPDATE packages SET docs_rendered = ?2 WHERE id_lower = ?1 AND docs_rendered < ?2",
        values![id_lower, changes],
    )?;
    Ok(())
}

/// Records that the process of `epoch` is about to write the id's documents (see `docs_epoch` in
/// migration 0011). Writes only the first time per id and process: later calls match no row.
pub fn mark_writing(db: &dyn Sql, id_lower: &str, epoch: i64) -> Result<(), DbError> {
    db.execute(
        "UPDATE packages SET docs_epoch = ?2 WHERE id_lower = ?1 AND docs_epoch < ?2",
        values![id_lower, epoch],
    )?;
    Ok(())
}

/// Ids whose documents lag their last change.
pub fn ids_with_stale_docs(db: &dyn Sql) -> Result<Vec<String>, DbError> {
    db.query_map("SELECT id_lower FROM packages WHERE docs_rendered < docs_changes ORDER BY id_lower", values![], |r| {
        r.get(0)
    })
}

pub fn set_listed(db: &dyn Sql, package_key: i64, version_lower: &str, listed: bool) -> Result<bool, DbError> {
    let n = db.execute(
        "UPDATE package_versions SET listed = ?3, last_edited_at = ?4
         WHERE package_key = ?1 AND version_lower = ?2 AND status != 'deleted'",
        values![package_key, version_lower, listed, db.now_text()?],
    )?;
    Ok(n == 1)
}

pub fn set_status(
    db: &dyn Sql,
    package_key: i64,
    version_lower: &str,
    status: VersionStatus,
    reason: Option<&str>,
) -> Result<bool, DbError> {
    let n = db.execute(
        "UPDATE package_versions SET status = ?3, status_reason = ?4, last_edited_at = ?5
         WHERE package_key = ?1 AND version_lower = ?2",
        values![package_key, version_lower, status, reason, db.now_text()?],
    )?;
    Ok(n == 1)
}

/// Adds batched download counts to the version and package totals.
pub fn add_downloads(db: &dyn Sql, id_lower: &str, version_lower: &str, count: u64) -> Result<(), DbError> {
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    db.execute(
        "UPDATE package_versions SET downloads = downloads + ?3
         WHERE version_lower = ?2 AND package_key = (SELECT id FROM packages WHERE id_lower = ?1)",
        values![id_lower, version_lower, count],
    )?;
    db.execute(
        "UPDATE packages SET total_downloads = total_downloads + ?2 WHERE id_lower = ?1",
        values![id_lower, count],
    )?;
    Ok(())
}

pub fn count_packages(db: &dyn Sql) -> Result<(i64, i64), DbError> {
    db.query_row(
        "SELECT (SELECT count(*) FROM packages), (SELECT count(*) FROM package_versions WHERE status = 'available')",
        values![],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Every id in the database, lowercase (for rebuilding rendered documents).
pub fn all_ids(db: &dyn Sql) -> Result<Vec<String>, DbError> {
    db.query_map("SELECT id_lower FROM packages ORDER BY id_lower", values![], |r| r.get(0))
}

pub(super) const VERSION_COLUMNS: &str = "v.id, p.package_id, v.version_original, v.version_normalized, v.version_lower, v.version_full,
    v.is_prerelease, v.is_semver2, v.title, v.authors, v.description, v.summary, v.release_notes, v.copyright, v.language,
    v.tags, v.project_url, v.icon_url, v.icon_file, v.readme_file, v.license_url, v.license_expression, v.license_file,
    v.require_license_acceptance, v.development_dependency, v.min_client_version, v.repository_type, v.repository_url,
    v.package_types, v.hash_sha512, v.size, v.listed, v.status, v.status_reason, v.downloads, v.created_at,
    v.published_at, v.last_edited_at";
/// How many columns `VERSION_COLUMNS` selects (a query adding its own columns reads them from here).
const VERSION_COLUMN_COUNT: usize = 38;

/// A version from the `VERSION_COLUMNS` at the start of a row (without its dependencies and notices).
pub(super) fn version_from(r: &Row) -> Result<VersionRecord, DbError> {
    let package_types: String = r.get(28)?;
    Ok(VersionRecord {
        key: r.get(0)?,
        package_id: r.get(1)?,
        version_original: r.get(2)?,
        version_normalized: r.get(3)?,
        version_lower: r.get(4)?,
        version_full: r.get(5)?,
        is_prerelease: r.get(6)?,
        is_semver2: r.get(7)?,
        title: r.get(8)?,
        authors: r.get(9)?,
        description: r.get(10)?,
        summary: r.get(11)?,
        release_notes: r.get(12)?,
        copyright: r.get(13)?,
        language: r.get(14)?,
        tags: r.get(15)?,
        project_url: r.get(16)?,
        icon_url: r.get(17)?,
        icon_file: r.get(18)?,
        readme_file: r.get(19)?,
        license_url: r.get(20)?,
        license_expression: r.get(21)?,
        license_file: r.get(22)?,
        require_license_acceptance: r.get(23)?,
        development_dependency: r.get(24)?,
        min_client_version: r.get(25)?,
        repository_type: r.get(26)?,
        repository_url: r.get(27)?,
        package_types: serde_json::from_str(&package_types).unwrap_or_default(),
        hash_sha512: r.get(29)?,
        size: r.get(30)?,
        listed: r.get(31)?,
        status: r.get(32)?,
        status_reason: r.get(33)?,
        downloads: r.get(34)?,
        created_at: r.get(35)?,
        published_at: r.get(36)?,
        last_edited_at: r.get(37)?,
        dependency_groups: Vec::new(),
        deprecation: None,
        vulnerabilities: Vec::new(),
    })
}

pub(super) fn dependency_groups(db: &dyn Sql, version_key: i64) -> Result<Vec<DependencyGroupRecord>, DbError> {
    let rows = db.query_all(
        "SELECT group_index, target_framework, dependency_id, version_range FROM package_dependencies
         WHERE version_key = ?1 ORDER BY group_index, rowid",
        values![version_key],
    )?;
    let mut groups: Vec<(i64, DependencyGroupRecord)> = Vec::new();
    for row in rows {
        let index: i64 = row.get(0)?;
        let (framework, id, range): (Option<String>, Option<String>, Option<String>) =
            (row.get(1)?, row.get(2)?, row.get(3)?);
        if groups.last().is_none_or(|(i, _)| *i != index) {
            groups.push((index, DependencyGroupRecord { target_framework: framework, dependencies: Vec::new() }));
        }
        if let (Some(id), Some((_, group))) = (id, groups.last_mut()) {
            group.dependencies.push(DependencyRecord { id, range: range.unwrap_or_default() });
        }
    }
    Ok(groups.into_iter().map(|(_, g)| g).collect())
}

/// Loads an id with all its versions (every status), sorted by NuGet version order.
pub fn load(db: &dyn Sql, id_lower: &str) -> Result<Option<PackageRecord>, DbError> {
    load_with(db, id_lower, true)
}

/// Like `load`, without dependency groups: what search results show (one query less per version).
pub fn load_summary(db: &dyn Sql, id_lower: &str) -> Result<Option<PackageRecord>, DbError> {
    load_with(db, id_lower, false)
}

const PACKAGE_COLUMNS: &str = "id, package_id, id_lower, total_downloads, verified, upstream";

/// A package from the `PACKAGE_COLUMNS` of a row, without its owners and versions.
fn package_from(r: &Row) -> Result<PackageRecord, DbError> {
    Ok(PackageRecord {
        key: r.get(0)?,
        package_id: r.get(1)?,
        id_lower: r.get(2)?,
        total_downloads: r.get(3)?,
        verified: r.get(4)?,
        upstream: r.get(5)?,
        owners: Vec::new(),
        versions: Vec::new(),
    })
}

fn load_with(db: &dyn Sql, id_lower: &str, with_dependencies: bool) -> Result<Option<PackageRecord>, DbError> {
    let sql = format!("SELECT {PACKAGE_COLUMNS} FROM packages WHERE id_lower = ?1");
    let Some(mut package) = db.query_optional(&sql, values![id_lower], package_from)? else {
        return Ok(None);
    };
    let sql = format!("SELECT {VERSION_COLUMNS} FROM package_versions v JOIN packages p ON p.id = v.package_key WHERE v.package_key = ?1");
    let mut versions: Vec<VersionRecord> = db.query_map(&sql, values![package.key], version_from)?;
    if with_dependencies {
        for v in &mut versions {
            v.dependency_groups = dependency_groups(db, v.key)?;
        }
    }
    versions.sort_by_cached_key(VersionRecord::version);
    if with_dependencies {
        super::notices::attach(db, package.key, &package.id_lower, &mut versions)?;
    }
    package.owners = super::owners::owner_names(db, package.key)?;
    package.versions = versions;
    Ok(Some(package))
}

/// The elements of the JSON array passed as `?1`, as a subquery of `sql_type` values: the one
/// thing the engines spell differently here (SQLite's `json_each`, PostgreSQL's
/// `json_array_elements_text`, whose parameter is cast to text before it is parsed as JSON).
fn json_array_elements(db: &dyn Sql, sql_type: &str) -> String {
    match db.engine() {
        Engine::Sqlite => "SELECT value FROM json_each(?1)".to_owned(),
        Engine::Postgres => {
            format!("SELECT CAST(value AS {sql_type}) FROM json_array_elements_text(CAST(CAST(?1 AS TEXT) AS json))")
        }
    }
}

/// `load_summary` for a page of ids in three queries (packages, versions, owners) instead of
/// three per id: what a search page renders. Ids not stored are left out; order is `ids_lower`'s.
pub fn load_summaries(db: &dyn Sql, ids_lower: &[String]) -> Result<Vec<PackageRecord>, DbError> {
    if ids_lower.is_empty() {
        return Ok(Vec::new());
    }
    // One statement text for any page size: the ids travel as one JSON array parameter.
    let ids_json = serde_json::Value::from(ids_lower.to_vec()).to_string();
    let sql = format!("SELECT {PACKAGE_COLUMNS} FROM packages WHERE id_lower IN ({})", json_array_elements(db, "TEXT"));
    let mut packages: Vec<PackageRecord> = db.query_map(&sql, values![ids_json], package_from)?;
    let slot: HashMap<i64, usize> = packages.iter().enumerate().map(|(i, p)| (p.key, i)).collect();
    let keys_json = serde_json::Value::from(packages.iter().map(|p| p.key).collect::<Vec<_>>()).to_string();
    let sql = format!(
        "SELECT {VERSION_COLUMNS}, v.package_key FROM package_versions v JOIN packages p ON p.id = v.package_key
         WHERE v.package_key IN ({})",
        json_array_elements(db, "BIGINT")
    );
    for row in db.query_all(&sql, values![&keys_json])? {
        let package_key: i64 = row.get(VERSION_COLUMN_COUNT)?;
        if let Some(&i) = slot.get(&package_key) {
            packages[i].versions.push(version_from(&row)?);
        }
    }
    for (package_key, name) in super::owners::owner_names_of(db, &keys_json)? {
        if let Some(&i) = slot.get(&package_key) {
            packages[i].owners.push(name);
        }
    }
    for p in &mut packages {
        p.versions.sort_by_cached_key(VersionRecord::version);
    }
    let order: HashMap<&str, usize> = ids_lower.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    packages.sort_by_key(|p| order.get(p.id_lower.as_str()).copied().unwrap_or(usize::MAX));
    Ok(packages)
}

/// Ids (lowercase) the account owns, most downloaded first: what its profile page lists.
pub fn owned_by(db: &dyn Sql, user_id: i64) -> Result<Vec<String>, DbError> {
    db.query_map(
        "SELECT p.id_lower FROM package_owners o JOIN packages p ON p.id = o.package_key
         WHERE o.user_id = ?1 ORDER BY p.total_downloads DESC, p.id_lower",
        values![user_id],
        |r| r.get(0),
    )
}

#[cfg(test)]
#[path = "packages_tests.rs"]
mod engines;

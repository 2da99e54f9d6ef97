//! A `VersionRecord` from a row of the SQL layer selecting `packages::VERSION_COLUMNS`.
//!
//! The same mapping as `packages::version_from_row`, which reads a rusqlite row and moves here
//! (or this there) once the read side of `packages.rs` is ported: one of the two then goes.
use super::super::sql::Row;
use super::super::DbError;
use crate::domain::records::VersionRecord;

pub(super) fn version(r: &Row) -> Result<VersionRecord, DbError> {
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

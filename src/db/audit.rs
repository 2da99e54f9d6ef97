//! The audit log: who did what, when, from where.
use super::sql::{Row, Sql};
use super::DbError;
use crate::values;

#[derive(Debug, Default)]
pub struct AuditEntry<'a> {
    pub actor_id: Option<i64>,
    pub actor_name: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub action: &'a str,
    pub package_id: Option<&'a str>,
    pub version: Option<&'a str>,
    pub detail: Option<&'a str>,
}

pub fn record(db: &dyn Sql, e: &AuditEntry<'_>) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO audit_log (at, actor_id, actor_name, ip, action, package_id, version, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        values![db.now_text()?, e.actor_id, e.actor_name, e.ip, e.action, e.package_id, e.version, e.detail],
    )?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor_name: Option<String>,
    pub ip: Option<String>,
    pub action: String,
    pub package_id: Option<String>,
    pub version: Option<String>,
    pub detail: Option<String>,
}

fn from_row(r: &Row) -> Result<AuditRow, DbError> {
    Ok(AuditRow {
        id: r.get(0)?,
        at: r.get(1)?,
        actor_name: r.get(2)?,
        ip: r.get(3)?,
        action: r.get(4)?,
        package_id: r.get(5)?,
        version: r.get(6)?,
        detail: r.get(7)?,
    })
}

pub fn for_package(db: &dyn Sql, id_lower: &str) -> Result<Vec<AuditRow>, DbError> {
    db.query_map(
        "SELECT id, at, actor_name, ip, action, package_id, version, detail FROM audit_log
         WHERE lower(package_id) = ?1 ORDER BY id DESC LIMIT 500",
        values![id_lower],
        from_row,
    )
}

/// Filters for the admins' view; `None` matches everything. `action` matches a prefix (`owner.`).
#[derive(Debug, Default)]
pub struct AuditFilter<'a> {
    pub package_lower: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub action_prefix: Option<&'a str>,
    pub before_id: Option<i64>,
    pub limit: u32,
}

pub fn list(db: &dyn Sql, f: &AuditFilter<'_>) -> Result<Vec<AuditRow>, DbError> {
    // The casts tell PostgreSQL the parameters' types where `?N IS NULL` alone does not.
    db.query_map(
        "SELECT id, at, actor_name, ip, action, package_id, version, detail FROM audit_log
         WHERE (CAST(?1 AS TEXT) IS NULL OR lower(package_id) = ?1)
           AND (CAST(?2 AS TEXT) IS NULL OR lower(actor_name) = lower(?2))
           AND (CAST(?3 AS TEXT) IS NULL OR substr(action, 1, length(?3)) = ?3)
           AND (CAST(?4 AS BIGINT) IS NULL OR id < ?4)
         ORDER BY id DESC LIMIT ?5",
        values![f.package_lower, f.actor, f.action_prefix, f.before_id, f.limit],
        from_row,
    )
}

#[cfg(test)]
mod engines {
    use super::*;
    use crate::db::sql::testing::on_both_engines;

    #[test]
    fn records_and_filters_on_both_engines() {
        on_both_engines(|db| {
            let entry =
                |action, package_id, actor_name| AuditEntry { actor_name, action, package_id, ..AuditEntry::default() };
            db.tx(|tx| record(tx, &entry("package.push", Some("Acme.Json"), Some("Alice")))).unwrap();
            db.clock.advance(chrono::Duration::days(2));
            db.tx(|tx| record(tx, &entry("owner.add", Some("acme.json"), Some("bob")))).unwrap();
            db.tx(|tx| record(tx, &entry("owner.remove", Some("Other"), None))).unwrap();

            let for_acme = db.tx(|tx| for_package(tx, "acme.json")).unwrap();
            assert_eq!(for_acme.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(), ["owner.add", "package.push"]);
            // Stamped with the clock, which moved two days between the two rows.
            let day = |r: &AuditRow| chrono::DateTime::parse_from_rfc3339(&r.at).unwrap();
            assert_eq!((day(&for_acme[0]) - day(&for_acme[1])).num_days(), 2, "{for_acme:?}");

            let mut filtered = |f: AuditFilter<'static>| {
                db.tx(|tx| list(tx, &f)).unwrap().into_iter().map(|r| r.action).collect::<Vec<_>>()
            };
            assert_eq!(
                filtered(AuditFilter { action_prefix: Some("owner."), limit: 10, ..AuditFilter::default() }),
                ["owner.remove", "owner.add"]
            );
            assert_eq!(
                filtered(AuditFilter { actor: Some("ALICE"), limit: 10, ..AuditFilter::default() }),
                ["package.push"]
            );
            assert_eq!(filtered(AuditFilter { limit: 1, ..AuditFilter::default() }), ["owner.remove"]);
            let newest = for_acme[0].id;
            assert_eq!(
                filtered(AuditFilter { before_id: Some(newest), limit: 10, ..AuditFilter::default() }),
                ["package.push"]
            );
            assert_eq!(
                filtered(AuditFilter { package_lower: Some("none"), limit: 10, ..AuditFilter::default() }),
                Vec::<String>::new()
            );
        });
    }
}

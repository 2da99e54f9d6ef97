//! Organization membership from groups (`[[group_mapping]]`): one function that any source of
//! group names calls (LDAP sign-in, the `ldap-sync` job, an identity provider's groups claim).
//!
//! The rule: a mapping names a group, an organization and a role. For each organization some
//! mapping names, the user's membership follows the groups, but only a membership that a mapping
//! gave (`mapped_memberships`): a membership added by hand is never changed or removed. An
//! organization no mapping names any more is left as it is; a change that would leave an
//! organization without an admin is skipped (and logged), as it is when done by hand.
use super::audit;
use super::permissions::Principal;
use crate::config::{GroupMapping, MappedRole};
use crate::db::sql::Sql;
use crate::db::{self, orgs, users};
use crate::domain::org::OrgRole;
use crate::error::AppError;
use std::collections::BTreeMap;

/// What `apply_group_memberships` changed, one line per membership (for logs and job output).
pub type Changes = Vec<String>;

/// Brings `user`'s mapped memberships in line with `groups` (directory DNs or provider group
/// names). `source` names the caller in the audit log (`ldap`, `oidc:NAME`). Run it inside the
/// caller's transaction when other changes must land with it.
pub(super) fn apply_group_memberships(
    conn: &dyn Sql,
    mappings: &[GroupMapping],
    user: &users::UserRow,
    groups: &[String],
    source: &str,
) -> Result<Changes, AppError> {
    let wanted = wanted_roles(conn, mappings, groups)?;
    let named: Vec<i64> = named_orgs(conn, mappings)?;
    let mapped = db::directory::mapped_orgs(conn, user.id)?;
    let actor = Principal { username: source.to_owned(), ..Principal::default() };
    let mut changes = Changes::new();
    for (&org_id, &(ref org_name, role)) in &wanted {
        let current = orgs::role_of(conn, org_id, user.id)?;
        let ours = mapped.contains(&org_id);
        let change = match current.as_deref() {
            None => format!("{} added to {org_name} as {}", user.username, role.as_str()),
            Some(r) if ours && r != role.as_str() => {
                if r == OrgRole::Admin.as_str() && orgs::admin_count(conn, org_id)? == 1 {
                    tracing::warn!(user = %user.username, org = %org_name, "group mapping would demote the last admin; left as it is");
                    continue;
                }
                format!("{} is now {} in {org_name}", user.username, role.as_str())
            }
            // Already right, or added by hand: nothing to do.
            Some(_) => continue,
        };
        orgs::upsert_member(conn, org_id, user.id, role.as_str())?;
        db::directory::mark_mapped(conn, org_id, user.id)?;
        audit::record(conn, &actor, None, "org.member.set", None, Some(&change))?;
        changes.push(change);
    }
    for org_id in mapped.into_iter().filter(|id| named.contains(id) && !wanted.contains_key(id)) {
        let Some(org) = users::by_id(conn, org_id)? else { continue };
        if orgs::role_of(conn, org_id, user.id)?.as_deref() == Some(OrgRole::Admin.as_str())
            && orgs::admin_count(conn, org_id)? == 1
        {
            tracing::warn!(user = %user.username, org = %org.username, "group mapping would remove the last admin; left as it is");
            continue;
        }
        orgs::remove_member(conn, org_id, user.id)?;
        let change = format!("{} removed from {}", user.username, org.username);
        audit::record(conn, &actor, None, "org.member.remove", None, Some(&change))?;
        changes.push(change);
    }
    Ok(changes)
}

/// The role each organization should give, from the mappings whose group the user is in; when
/// several mappings name one organization, admin wins.
fn wanted_roles(
    conn: &dyn Sql,
    mappings: &[GroupMapping],
    groups: &[String],
) -> Result<BTreeMap<i64, (String, MappedRole)>, AppError> {
    let mut wanted: BTreeMap<i64, (String, MappedRole)> = BTreeMap::new();
    for m in mappings.iter().filter(|m| groups.iter().any(|g| same_group(g, &m.group))) {
        let Some(org) = organization(conn, &m.organization)? else { continue };
        let entry = wanted.entry(org.id).or_insert((org.username, m.role));
        if m.role == MappedRole::Admin {
            entry.1 = MappedRole::Admin;
        }
    }
    Ok(wanted)
}

fn named_orgs(conn: &dyn Sql, mappings: &[GroupMapping]) -> Result<Vec<i64>, AppError> {
    let mut ids = Vec::new();
    for m in mappings {
        if let Some(org) = organization(conn, &m.organization)? {
            ids.push(org.id);
        }
    }
    Ok(ids)
}

fn organization(conn: &dyn Sql, name: &str) -> Result<Option<users::UserRow>, AppError> {
    let org = users::by_name(conn, name.trim())?.filter(|u| u.is_organization);
    if org.is_none() {
        tracing::warn!(organization = %name, "[[group_mapping]] names an organization that does not exist; skipped");
    }
    Ok(org)
}

/// Group names compare without case, and DNs also without the spaces around their separators
/// (`cn=Platform, ou=Groups` is `cn=platform,ou=groups`): directories are case-insensitive in
/// the attribute types and names that groups use, and servers differ in how they space a DN.
pub fn same_group(a: &str, b: &str) -> bool {
    normalize(a) == normalize(b)
}

fn normalize(group: &str) -> String {
    group
        .split(',')
        .map(|part| part.split('=').map(str::trim).collect::<Vec<_>>().join("="))
        .collect::<Vec<_>>()
        .join(",")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::users::NewUser;

    fn account(conn: &dyn Sql, name: &str, organization: bool) -> users::UserRow {
        let new = NewUser {
            username: name,
            email: &format!("{name}@example.com"),
            password_hash: None,
            is_admin: false,
            is_organization: organization,
            self_registered: false,
        };
        let id = users::insert(conn, &new).unwrap();
        users::by_id(conn, id).unwrap().unwrap()
    }

    fn mapping(group: &str, organization: &str, role: MappedRole) -> GroupMapping {
        GroupMapping { group: group.into(), organization: organization.into(), role }
    }

    fn roles(conn: &dyn Sql, user: &users::UserRow) -> Vec<(String, String)> {
        orgs::memberships(conn, user.id).unwrap().into_iter().map(|m| (m.org_name, m.role)).collect()
    }

    #[test]
    fn memberships_follow_the_groups_but_hand_made_ones_stay() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::db::migrate::run(&mut conn).unwrap();
        let (platform, tools) = (account(&conn, "platform", true), account(&conn, "tools", true));
        let (lead, bob) = (account(&conn, "lead", false), account(&conn, "bob", false));
        orgs::upsert_member(&conn, platform.id, lead.id, "admin").unwrap();
        orgs::upsert_member(&conn, tools.id, lead.id, "admin").unwrap();
        let mappings = [
            mapping("cn=platform,ou=groups", "platform", MappedRole::Collaborator),
            mapping("cn=leads,ou=groups", "platform", MappedRole::Admin),
            mapping("cn=tools,ou=groups", "tools", MappedRole::Collaborator),
            mapping("cn=ghost,ou=groups", "no-such-org", MappedRole::Admin),
        ];
        let apply = |groups: &[&str]| {
            let groups: Vec<String> = groups.iter().map(|g| (*g).to_owned()).collect();
            apply_group_memberships(&conn, &mappings, &bob, &groups, "test").unwrap()
        };
        assert_eq!(apply(&["CN=Platform, ou=groups", "cn=ghost,ou=groups"]), ["bob added to platform as collaborator"]);
        // Admin wins when two mappings name one organization.
        assert_eq!(apply(&["cn=platform,ou=groups", "cn=leads,ou=groups"]), ["bob is now admin in platform"]);
        // A hand-made membership in a mapped organization is left alone, whatever the groups say.
        orgs::upsert_member(&conn, tools.id, bob.id, "admin").unwrap();
        assert!(apply(&["cn=tools,ou=groups", "cn=platform,ou=groups", "cn=leads,ou=groups"]).is_empty());
        assert_eq!(apply(&[]), ["bob removed from platform"]);
        assert_eq!(roles(&conn, &bob), [("tools".to_owned(), "admin".to_owned())]);
        // The last admin is never demoted or removed by a mapping.
        orgs::remove_member(&conn, platform.id, lead.id).unwrap();
        assert_eq!(apply(&["cn=leads,ou=groups"]), ["bob added to platform as admin"]);
        assert!(apply(&[]).is_empty());
        assert_eq!(orgs::role_of(&conn, platform.id, bob.id).unwrap().as_deref(), Some("admin"));
    }

    #[test]
    fn groups_compare_without_case_or_dn_spacing() {
        assert!(same_group("cn=Platform, ou=Groups,dc=example", "CN=platform,ou=groups, dc=EXAMPLE"));
        assert!(same_group(" developers ", "Developers"));
        assert!(!same_group("cn=platform,ou=groups", "cn=platform-admins,ou=groups"));
    }
}

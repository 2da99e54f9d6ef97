//! Reserved id prefixes (`galley prefix reserve`): ids under one are local-only (no upstream ever
//! supplies them, see `mirror::guard`) and local ids under one are shown as verified.
use crate::db::sql::Sql;
use crate::db::{self, audit::AuditEntry, upstreams::ReservedPrefix};
use crate::error::AppError;
use crate::state::AppState;

/// A prefix is the start of a package id: letters, digits, `.`, `_` and `-`, at most 100 characters.
fn parse(prefix: &str) -> Result<String, AppError> {
    let prefix = prefix.trim();
    let valid = !prefix.is_empty()
        && prefix.len() <= 100
        && prefix.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !valid {
        return Err(AppError::BadRequest(format!(
            "'{prefix}' is not an id prefix: use letters, digits, '.', '_' and '-' (at most 100), e.g. Contoso."
        )));
    }
    Ok(prefix.to_owned())
}

/// Reserves the prefix; false when it already was reserved.
pub fn reserve(state: &AppState, prefix: &str, actor: &str) -> Result<bool, AppError> {
    let prefix = parse(prefix)?;
    let mut conn = state.conn()?;
    Ok(conn.write(|tx| {
        let added = db::upstreams::reserve_prefix(tx, &prefix)?;
        if added {
            audit(tx, "prefix.reserve", &prefix, actor)?;
        }
        Ok(added)
    })?)
}

/// Removes the reservation; false when there was none.
pub fn remove(state: &AppState, prefix: &str, actor: &str) -> Result<bool, AppError> {
    let prefix = parse(prefix)?;
    let mut conn = state.conn()?;
    Ok(conn.write(|tx| {
        let removed = db::upstreams::remove_prefix(tx, &prefix)?;
        if removed {
            audit(tx, "prefix.remove", &prefix, actor)?;
        }
        Ok(removed)
    })?)
}

pub fn list(state: &AppState) -> Result<Vec<ReservedPrefix>, AppError> {
    Ok(db::upstreams::list_prefixes(&state.conn()?)?)
}

fn audit(conn: &dyn Sql, action: &str, prefix: &str, actor: &str) -> Result<(), db::DbError> {
    db::audit::record(
        conn,
        &AuditEntry { actor_name: Some(actor), action, detail: Some(prefix), ..AuditEntry::default() },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_the_start_of_an_id() {
        assert_eq!(parse(" Contoso. ").unwrap(), "Contoso.");
        assert_eq!(parse("My_Co-").unwrap(), "My_Co-");
        for bad in ["", "Contoso/*", "a b", "%", &"x".repeat(101)] {
            let err = parse(bad).unwrap_err().to_string();
            assert!(err.contains("is not an id prefix"), "{bad}: {err}");
        }
    }
}

//! Forward-only migrations embedded from `migrations/`, tracked by `PRAGMA user_version`.
use rusqlite::Connection;
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "migrations/"]
#[include = "*.sql"]
struct Migrations;

/// Migration files sorted by their number prefix (`0001_init.sql` is version 1).
fn migrations() -> Vec<(u32, String)> {
    let mut list: Vec<(u32, String)> = Migrations::iter()
        .filter_map(|name| {
            let number = name.split('_').next()?.parse().ok()?;
            let file = Migrations::get(&name)?;
            Some((number, String::from_utf8_lossy(&file.data).into_owned()))
        })
        .collect();
    list.sort_by_key(|(n, _)| *n);
    list
}

pub fn latest_version() -> u32 {
    migrations().last().map_or(0, |(n, _)| *n)
}

pub fn run(conn: &mut Connection) -> Result<(), super::DbError> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let latest = latest_version();
    if current > latest {
        return Err(super::DbError::TooNew { found: current, known: latest });
    }
    for (number, sql) in migrations().into_iter().filter(|(n, _)| *n > current) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(&sql)?;
        tx.pragma_update(None, "user_version", number)?;
        tx.commit()?;
        tracing::info!(version = number, "applied database migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_a_fresh_database_and_is_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        run(&mut conn).unwrap();
        let v: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, latest_version());
    }

    #[test]
    fn refuses_a_newer_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
        let err = run(&mut conn).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the database is at schema version 999 but this galley knows only up to {}; use a newer galley",
                latest_version()
            )
        );
    }
}

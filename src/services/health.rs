//! What `/health` reads from the database: the package, version, scan, mail and rendering counts.
use crate::db::health::HealthCounts;
use crate::error::AppError;
use crate::state::AppState;

/// The counts in one query; an error means the database does not answer (the handler's 503).
pub fn counts(state: &AppState) -> Result<HealthCounts, AppError> {
    Ok(crate::db::health::counts(&state.conn()?)?)
}

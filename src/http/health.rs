//! `GET /health`: what monitoring needs to know. 503 when the server cannot accept pushes (the
//! database does not answer, the data folder is read-only, full below `[storage] min_free_mb`,
//! or was removed or replaced under the running server); reads may still work then.
use crate::error::AppError;
use crate::http::call::Call;
use crate::services::health;
use crate::store::guard::DiskState;
use actix_web::HttpResponse;
use serde_json::json;

pub async fn health(call: Call) -> Result<HttpResponse, AppError> {
    let state = call.state();
    let disk = state.disk.state();
    let counts = call.run(|state, _| health::counts(state)).await;
    let mut body = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "data_dir": {
            "status": disk.label(),
            "min_free_mb": state.disk.min_free_bytes() / (1024 * 1024),
        },
        "scanner": state.scanner.describe(),
        "mail": state.mail.describe(),
    });
    match &disk {
        DiskState::Ok { free_bytes } | DiskState::LowSpace { free_bytes } => {
            body["data_dir"]["free_mb"] = json!(free_bytes / (1024 * 1024));
        }
        DiskState::Replaced(what) => body["data_dir"]["problem"] = json!(what),
        DiskState::ReadOnly => {}
    }
    let database_ok = match counts {
        Ok(c) => {
            body["database"] = json!("ok");
            body["packages"] = json!(c.packages);
            body["versions"] = json!(c.versions);
            body["validating"] = json!(c.validating);
            body["mail_queue"] = json!({ "queued": c.mail_queued, "failed": c.mail_failed });
            let sweeping = state.sweeping.load(std::sync::atomic::Ordering::Relaxed);
            body["jobs"] = json!({
                "documents_to_render": c.docs_pending,
                // After a clean stop the sweep runs while serving (see `services::recovery`).
                "start_up_sweep": if sweeping { "running" } else { "done" },
            });
            true
        }
        Err(e) => {
            tracing::error!(error = %e, "health check: the database does not answer");
            body["database"] = json!("error");
            false
        }
    };
    if state.mirror.enabled() {
        // Never a 503: restores go on from the cache while an upstream is down.
        let upstreams = state.mirror.report();
        let failing: Vec<&str> =
            upstreams.iter().filter(|u| u["status"] != "ok").filter_map(|u| u["name"].as_str()).collect();
        if !failing.is_empty() {
            body["warnings"] = json!([format!(
                "upstream {} failing: cached packages are served (metadata may be stale), others answer 404",
                failing.join(", ")
            )]);
        }
        body["upstreams"] = json!(upstreams);
    }
    let accepts_pushes = database_ok && matches!(disk, DiskState::Ok { .. });
    body["accepts_pushes"] = json!(accepts_pushes);
    body["status"] = json!(if accepts_pushes { "ok" } else { "unavailable" });
    Ok(if accepts_pushes { HttpResponse::Ok() } else { HttpResponse::ServiceUnavailable() }.json(body))
}

//! Builds the application: state, scheduler, HTTP server.
#[allow(unsafe_code)]
pub mod allocator;
mod build_state;
pub use build_state::open_database;
pub mod object_store;

use crate::http;
use crate::services::recovery::{self, SweepTiming};
use crate::state::AppState;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};

/// Mounts everything on an actix `App`; the server and the in-process tests both use it.
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(state)).service(
            web::scope("").wrap(from_fn(http::feed_auth::require_feed_credentials)).configure(http::configure),
        );
    }
}

/// Sets `TCP_NODELAY` on each accepted connection (`HttpServer::on_connect`). Headers and body go
/// out in separate writes; without it, Nagle plus delayed ACKs add ~40 ms to every file response
/// on a kept-alive connection.
pub fn no_delay(conn: &dyn std::any::Any, _: &mut actix_web::dev::Extensions) {
    if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
        let _ = tcp.set_nodelay(true);
    }
}

/// Runs the server until SIGTERM or Ctrl-C, then flushes pending download counts.
///
/// The port is bound first: a second server started by mistake fails before it touches the data
/// folder (it would otherwise take the clean-stop marker with it). Then the start-up sweep runs:
/// before any request is taken after a crash, in the background after a clean stop (see
/// `services::recovery`); rendering what it marked goes on in the background after it.
pub async fn serve(state: AppState) -> anyhow::Result<()> {
    // What the start-up sweep may touch when it runs while serving: older than this.
    let started = std::time::SystemTime::now();
    let listen = state.config.listen.clone();
    if state.config.base_url.is_empty() && !state.config.server.trusted_proxies.is_empty() {
        // Feed documents are rendered once per change with absolute URLs, not per request.
        tracing::warn!("[server] trusted_proxies is set but base_url is empty: feeds will name http://{listen}; set base_url to the public URL (with any path prefix)");
    }
    let app_state = state.clone();
    let server = HttpServer::new(move || {
        App::new().wrap(from_fn(http::request_log::log_request)).configure(configure(app_state.clone()))
    })
    .on_connect(no_delay)
    .bind(&listen);
    let server = match server {
        Ok(server) => server.shutdown_timeout(10),
        Err(e) => {
            // Nothing was rendered: put back the clean-stop marker opening the folder took.
            state.docs.close();
            return Err(e.into());
        }
    };
    let sweep = state.clone();
    let timing = tokio::task::spawn_blocking(move || recovery::sweep_timing(&sweep)).await?;
    if timing == SweepTiming::BeforeServing {
        let sweep = state.clone();
        log_sweep(tokio::task::spawn_blocking(move || recovery::sweep_at_start(&sweep)).await?);
    }
    // Before the background render: a change another node commits meanwhile is applied twice at
    // worst, never missed.
    let listener = crate::services::cluster_sync::start(&state)?;
    let scheduler = crate::jobs::start(&state).await?;
    let repair = state.clone();
    if timing == SweepTiming::WhileServing {
        state.sweeping.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let rendering = tokio::task::spawn_blocking(move || {
        if timing == SweepTiming::WhileServing {
            log_sweep(recovery::sweep_while_serving(&repair, started));
            repair.sweeping.store(false, std::sync::atomic::Ordering::Relaxed);
        }
        match recovery::render_in_background(&repair) {
            Ok(0) => {}
            Ok(n) => tracing::info!(ids = n, "rendered feed documents"),
            Err(e) => tracing::error!(error = %e, "rendering feed documents failed"),
        }
        // The sweep's listings (every version with a row, every id's versions) and the packs it
        // opened were read and dropped: without this the idle process keeps their peak (measured
        // at 100k versions: 125 MB after the sweep, 78 MB with it).
        allocator::release_free_memory();
    });
    // Built off the start-up path; a search arriving first waits for it rather than reading SQL.
    let index = state.clone();
    let indexing = tokio::task::spawn_blocking(move || {
        if let Err(e) = crate::services::search::warm_index(&index) {
            tracing::error!(error = %e, "building the search index failed; the first search retries");
        }
        // The index's documents and the entries' full records were read and dropped.
        allocator::release_free_memory();
    });
    let server = server.run();
    tracing::info!(listen = %listen, base_url = %state.urls.base(), data_dir = %state.config.data_dir.display(), mail = %state.mail.describe(), "galley is serving");
    server.await?;
    // Background rendering stops after the id at hand; the rest stays marked for the next start.
    state.docs.stop();
    drop(listener);
    let _ = rendering.await;
    let _ = indexing.await;
    if let Some(mut scheduler) = scheduler {
        let _ = scheduler.shutdown().await;
    }
    let flushed = state.downloads.flush(&state.db)?;
    state.finish();
    tracing::info!(downloads = flushed, "stopped");
    Ok(())
}

/// A failed sweep (a read-only data folder) must not keep the feeds from being served.
fn log_sweep(report: Result<recovery::StartReport, crate::error::AppError>) {
    match report {
        Ok(report) => tracing::info!(%report, "start-up sweep done"),
        Err(e) => tracing::error!(error = %e, "the start-up sweep failed; serving anyway"),
    }
}

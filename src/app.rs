//! Builds the application: state, scheduler, HTTP server.
use crate::http;
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

/// Runs the server until SIGTERM or Ctrl-C, then flushes pending download counts.
pub async fn serve(state: AppState) -> anyhow::Result<()> {
    let listen = state.config.listen.clone();
    let scheduler = crate::jobs::start(&state).await?;
    // Render the ids a crash left between commit and render (or every id, when the last run
    // may have left torn documents), in the background so start-up stays instant.
    let repair = state.clone();
    tokio::task::spawn_blocking(move || {
        let rendered = if repair.docs.needs_full_render() {
            tracing::info!("the last run did not flush its feed documents to disk: rendering every id again");
            repair.docs.repair_all(&repair.db)
        } else {
            repair.docs.render_stale(&repair.db)
        };
        match rendered {
            Ok(0) => {}
            Ok(n) => tracing::info!(ids = n, "rendered feed documents"),
            Err(e) => tracing::error!(error = %e, "rendering feed documents failed"),
        }
    });
    let app_state = state.clone();
    let server = HttpServer::new(move || {
        App::new().wrap(from_fn(http::request_log::log_request)).configure(configure(app_state.clone()))
    })
    // Headers and body go out in separate writes; without TCP_NODELAY, Nagle plus delayed ACKs
    // add ~40 ms to every file response on a kept-alive connection.
    .on_connect(|conn, _| {
        if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
            let _ = tcp.set_nodelay(true);
        }
    })
    .bind(&listen)?
    .shutdown_timeout(10)
    .run();
    tracing::info!(listen = %listen, base_url = %state.urls.base(), data_dir = %state.config.data_dir.display(), mail = %state.mail.describe(), "galley is serving");
    server.await?;
    if let Some(mut scheduler) = scheduler {
        let _ = scheduler.shutdown().await;
    }
    let flushed = state.downloads.flush(&state.db)?;
    state.finish();
    tracing::info!(downloads = flushed, "stopped");
    Ok(())
}

//! PackagePublish/2.0.0 (`/api/v2/package`): push, delete (unlist) and relist, shared by v2 and v3.
use crate::error::AppError;
use crate::http::auth::api_key_principal;
use crate::http::call::Call;
use crate::http::intake;
use crate::services::lifecycle::{self, Change};
use crate::services::publish::{self, PushOutcome, Waiting};
use actix_web::{web, HttpRequest, HttpResponse};

/// Mounts push, delete and relist. nuget.exe builds these URLs from the source it is given:
/// `-Source {base}/` → `{base}/api/v2/package/…`, `-Source {base}/api/v2/package` → as given, and
/// `-Source {base}/api/v2/` → `PUT {base}/api/v2/` and `DELETE {base}/api/v2/{id}/{version}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for root in ["/api/v2/package", "/api/v2"] {
        cfg.route(root, web::put().to(push))
            .route(&format!("{root}/"), web::put().to(push))
            .route(&format!("{root}/{{id}}/{{version}}"), web::delete().to(delete))
            .route(&format!("{root}/{{id}}/{{version}}"), web::post().to(relist));
    }
}

async fn push(req: HttpRequest, payload: web::Payload, call: Call) -> Result<HttpResponse, AppError> {
    // Authenticate before reading the body, so a bad key costs no upload.
    let principal = api_key_principal(&req, call.state()).await?;
    let file = intake::push_body(&req, payload, call.state()).await?;
    let outcome = call.run(move |state, ip| publish::publish_file(state, &principal, file.path(), ip)).await?;
    Ok(match outcome {
        PushOutcome::Published(p) => HttpResponse::Created()
            .content_type("text/plain; charset=utf-8")
            .body(format!("Published {} {}.", p.id, p.version)),
        PushOutcome::Accepted(p, waiting) => {
            let why = match waiting {
                Waiting::AsyncScan => "it will be published once the virus scan finds it clean",
                Waiting::ScannerUnavailable => {
                    "the virus scanner is unavailable; it will be published once a scan finds it clean"
                }
            };
            HttpResponse::Accepted()
                .content_type("text/plain; charset=utf-8")
                .body(format!("Accepted {} {}: {why}.", p.id, p.version))
        }
    })
}

async fn change(
    req: HttpRequest,
    call: Call,
    path: web::Path<(String, String)>,
    relist: bool,
) -> Result<HttpResponse, AppError> {
    let principal = api_key_principal(&req, call.state()).await?;
    let (id, version) = path.into_inner();
    let change = if relist { Change::Relist } else { lifecycle::delete_change(call.state(), &principal) };
    call.run(move |state, ip| lifecycle::apply(state, &principal, &id, &version, change, ip)).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn delete(req: HttpRequest, call: Call, path: web::Path<(String, String)>) -> Result<HttpResponse, AppError> {
    change(req, call, path, false).await
}

async fn relist(req: HttpRequest, call: Call, path: web::Path<(String, String)>) -> Result<HttpResponse, AppError> {
    change(req, call, path, true).await
}

//! Symbols: `SymbolPackagePublish/4.9.0` (`PUT /api/v2/symbolpackage`), the `.snupkg` download,
//! and the symbol server (SSQP, `GET /symbols/{file}/{key}/{file}`) Visual Studio, `dotnet-symbol`
//! and `WinDbg` query.
use crate::error::AppError;
use crate::http::auth::api_key_principal;
use crate::http::call::Call;
use crate::http::files::{self, not_found, PackageContent, PACKAGE_CACHE};
use crate::http::intake;
use crate::http::package_path::IdVersionPath;
use crate::services::symbols;
use crate::state::AppState;
use actix_web::{guard, web, HttpRequest, HttpResponse, Resource};

/// The push (nuget.exe sends a `.snupkg` here when the service index lists the resource) and
/// the symbol server. The download lives in the v2 scope (`download`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v2/symbolpackage", web::put().to(push))
        .route("/api/v2/symbolpackage/", web::put().to(push))
        .route("/symbols/{file}/{key}/{file2}", web::get().to(ssqp))
        .route("/symbols/{file}/{key}/{file2}", web::head().to(ssqp));
}

/// `GET|HEAD /api/v2/symbolpackage/{id}/{version}`, mounted inside the v2 scope.
pub fn download() -> Resource {
    web::resource("/symbolpackage/{id}/{version}").guard(guard::Any(guard::Get()).or(guard::Head())).to(snupkg)
}

async fn push(req: HttpRequest, payload: web::Payload, call: Call) -> Result<HttpResponse, AppError> {
    // Authenticate before reading the body, so a bad key costs no upload.
    let principal = api_key_principal(&req, call.state()).await?;
    let file = intake::push_body(&req, payload, call.state()).await?;
    let published = call.run(move |state, ip| symbols::publish_symbols(state, &principal, file.path(), ip)).await?;
    Ok(HttpResponse::Created()
        .content_type("text/plain; charset=utf-8")
        .body(format!("Published the symbols of {} {}.", published.id, published.version)))
}

async fn snupkg(req: HttpRequest, state: web::Data<AppState>, path: IdVersionPath) -> Result<HttpResponse, AppError> {
    let file = symbols::find_snupkg(&state, &path.id_lower, &path.version_lower).ok_or_else(not_found)?;
    let file = files::local_path(&state, file).await?;
    files::serve_file(&req, &file, PackageContent::Package, PACKAGE_CACHE)
}

async fn ssqp(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (file, key, again) = path.into_inner();
    if !file.eq_ignore_ascii_case(&again) {
        return Err(not_found());
    }
    let checksums = req.headers().get("SymbolChecksum").map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let pdb = symbols::find_pdb(&state, &file, &key, checksums.as_deref()).ok_or_else(not_found)?;
    let pdb = files::local_path(&state, pdb).await?;
    files::serve_file(&req, &pdb, PackageContent::Package, PACKAGE_CACHE)
}

//! The NuGet v2 (OData/Atom) feed under `/api/v2/`. One path segment names the resource
//! (`Packages()`, `Packages(Id='…',Version='…')`, `Search()`, `FindPackagesById()`,
//! `GetUpdates()`, `$metadata`), optionally followed by `/$count`; `resource` and `member` send each to
//! its handler. Push, delete and relist live in `http::publish`.
pub mod common;
pub mod download;
pub mod find_by_id;
pub mod packages;
pub mod search;
pub mod service_doc;
pub mod updates;

use crate::error::AppError;
use crate::protocol::odata_query::Resource;
use crate::state::AppState;
use actix_web::{guard, web, HttpRequest, HttpResponse};
use common::{bad, V2Request};

/// Reads only: the scope is guarded to GET and HEAD, so a PUT, DELETE or POST under `/api/v2`
/// (push, delete and relist, where nuget.exe sends them for a `<base>/api/v2/` source) passes it
/// by and reaches the `http::publish` routes mounted after it.
pub fn scope() -> actix_web::Scope {
    web::scope("/api/v2")
        .guard(guard::Any(guard::Get()).or(guard::Head()))
        .service(download::resources())
        .service(crate::http::symbols::download())
        .route("", web::get().to(service_doc::service_document))
        .route("/", web::get().to(service_doc::service_document))
        .route("/{resource}", web::get().to(resource))
        .route("/{resource}/{member}", web::get().to(member))
}

fn unknown(segment: &str) -> AppError {
    AppError::NotFound(format!("The v2 feed has no resource '{segment}'."))
}

async fn resource(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let segment = path.into_inner();
    let target = Resource::parse(&segment).map_err(bad)?.ok_or_else(|| unknown(&segment))?;
    if target == Resource::Metadata {
        return service_doc::metadata();
    }
    let request = V2Request::parse(&req)?;
    // Cloning the state touches some twenty reference counts every worker shares: the restore
    // path (`FindPackagesById`, mostly answered from memory) borrows it instead.
    let state = state.get_ref();
    match target {
        Resource::Packages => packages::list(state.clone(), request).await,
        Resource::Package { id, version } => packages::entry(state.clone(), request, id, version).await,
        Resource::Search => search::list(state.clone(), request).await,
        Resource::FindPackagesById => find_by_id::list(state, request).await,
        Resource::GetUpdates => updates::list(state.clone(), request).await,
        Resource::Metadata => service_doc::metadata(),
    }
}

/// `{collection}/$count`.
async fn member(
    req: HttpRequest,
    call: crate::http::call::Call,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (segment, member) = path.into_inner();
    let target = Resource::parse(&segment).map_err(bad)?.ok_or_else(|| unknown(&segment))?;
    if member != "$count" {
        return Err(match target {
            Resource::Package { .. } => {
                AppError::BadRequest(format!("Reading the property '{member}' of an entry is not supported."))
            }
            _ => unknown(&format!("{segment}/{member}")),
        });
    }
    let request = V2Request::parse(&req)?;
    call.run_async(|state, _| async move {
        match target {
            Resource::Packages => packages::count(state, request).await,
            Resource::Search => search::count(state, request).await,
            Resource::FindPackagesById => find_by_id::count(state, request).await,
            Resource::GetUpdates => updates::count(state, request).await,
            Resource::Package { .. } | Resource::Metadata => Err(unknown(&format!("{segment}/{member}"))),
        }
    })
    .await
}

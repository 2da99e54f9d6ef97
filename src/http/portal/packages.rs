//! Package pages: `/packages/{id}`, `/packages/{id}/{version}` and its `/License` page
//! (`/ReportAbuse` is in `contact.rs`).
use super::layout::{self, default_icon, Layout};
use super::package_view::{LicenseView, PackageView, SymbolsView};
use super::viewer::Account;
use crate::domain::id::PackageId;
use crate::error::AppError;
use crate::http::call::Call;
use crate::services::package_details::{self, Viewer};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "package.html")]
struct PackagePage {
    layout: Layout,
    p: PackageView,
}

#[derive(Template)]
#[template(path = "license.html")]
struct LicensePage {
    layout: Layout,
    id: String,
    version: String,
    package_url: String,
    text: String,
}

/// The `{id}` of a package page; a segment that cannot be an id gets the page's own 404, the
/// one an unknown id gets (no upstream can have it either).
pub(super) fn page_id(segment: &str) -> Result<PackageId, AppError> {
    PackageId::parse(segment).map_err(|_| package_details::no_package(segment))
}

async fn package_page(
    req: &HttpRequest,
    call: &Call,
    id: PackageId,
    version: Option<String>,
) -> Result<HttpResponse, AppError> {
    let who = Account::of(req).map(|a| a.session.principal);
    let asked = id.clone();
    let found = call
        .run(move |state, _| {
            let viewer = Viewer::of(state, who.as_ref(), &id)?;
            Ok((package_details::details(state, &id, version.as_deref(), viewer)?, viewer))
        })
        .await;
    let state = call.state();
    let (details, viewer) = match found {
        // Not here: an upstream may supply it (the guard decides; a local id never reaches one).
        Err(not_found @ AppError::NotFound(_)) if state.mirror.enabled() => {
            return super::upstream_package::page(req, state, &asked, not_found).await;
        }
        found => found?,
    };
    let mut view = PackageView::new(&state.urls, &details, viewer, &default_icon(state));
    let (id_lower, version_lower) = (&details.page.package.id_lower, &details.page.version().version_lower);
    if crate::services::symbols::available(state, id_lower, version_lower) {
        view.symbols = Some(SymbolsView {
            server_url: state.urls.symbol_server(),
            download_url: state.urls.site_path(&state.urls.symbol_package(&view.id, &view.version)),
        });
    }
    let title = format!("{} {}", view.id, view.version);
    layout::render(&PackagePage { layout: Layout::new(state, req, title).current("packages"), p: view })
}

pub async fn latest(req: HttpRequest, call: Call, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    package_page(&req, &call, page_id(&path)?, None).await
}

pub async fn version(
    req: HttpRequest,
    call: Call,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, version) = path.into_inner();
    package_page(&req, &call, page_id(&id)?, Some(version)).await
}

pub async fn license(
    req: HttpRequest,
    call: Call,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, version) = path.into_inner();
    let id = page_id(&id)?;
    let (page, text) =
        call.run(move |state, _| package_details::license_text(state, &id, &version, Viewer::anonymous())).await?;
    let state = call.state();
    let v = page.version();
    layout::render(&LicensePage {
        layout: Layout::new(state, &req, format!("License of {} {}", v.package_id, v.version_normalized)),
        package_url: state.urls.portal_package_version(&v.package_id, &v.version_normalized),
        id: v.package_id.clone(),
        version: v.version_normalized.clone(),
        text,
    })
}

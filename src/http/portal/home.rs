//! `/`: the search box, the most downloaded and the recently updated packages, how to connect.
use super::cards::PackageCard;
use super::layout::{self, default_icon, Layout};
use crate::error::AppError;
use crate::http::call::Call;
use crate::services::search;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

const LIST_SIZE: usize = 6;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    popular: Vec<PackageCard>,
    recent: Vec<PackageCard>,
    package_count: String,
    version_count: String,
    service_index: String,
    v2_root: String,
    publish_url: String,
    popular_url: String,
    recent_url: String,
}

pub async fn home(req: HttpRequest, call: Call) -> Result<HttpResponse, AppError> {
    let front = call.run(|state, _| search::front_page(state, LIST_SIZE)).await?;
    let state = call.state();
    let urls = &state.urls;
    let icon = default_icon(state);
    layout::render(&HomePage {
        layout: Layout::new(state, &req, "Galley — NuGet package gallery"),
        popular: PackageCard::list(urls, &front.popular, &icon),
        recent: PackageCard::list(urls, &front.recent, &icon),
        package_count: super::format::count(front.package_count),
        version_count: super::format::count(front.version_count),
        service_index: urls.service_index(),
        v2_root: urls.v2_root(),
        publish_url: urls.publish(),
        popular_url: urls.portal_search(&[("sortBy", "totalDownloads-desc")]),
        recent_url: urls.portal_search(&[("sortBy", "created-desc")]),
    })
}

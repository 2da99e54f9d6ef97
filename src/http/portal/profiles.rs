//! `/profiles/{name}`: an account and the packages it owns.
use super::cards::PackageCard;
use super::layout::{self, default_icon, Layout};
use crate::error::AppError;
use crate::http::call::Call;
use crate::services::profiles;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    layout: Layout,
    username: String,
    is_organization: bool,
    packages: Vec<PackageCard>,
    package_count: usize,
    total_downloads: String,
}

pub async fn profile(req: HttpRequest, call: Call, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let name = path.into_inner();
    let profile = call.run(move |state, _| profiles::profile(state, &name)).await?;
    let state = call.state();
    layout::render(&ProfilePage {
        layout: Layout::new(state, &req, profile.username.clone()),
        packages: PackageCard::list(&state.urls, &profile.packages, &default_icon(state)),
        package_count: profile.packages.len(),
        total_downloads: super::format::count(profile.total_downloads),
        username: profile.username,
        is_organization: profile.is_organization,
    })
}

//! Sign-in and upload pages until accounts reach the portal: the navigation links them, so they
//! say what to do instead of answering 404. Replaced by the account pages.
use super::layout::{self, Layout};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "pending.html")]
struct PendingPage {
    layout: Layout,
    upload: bool,
    service_index: String,
    publish_url: String,
}

pub async fn sign_in(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    page(&req, &state, false)
}

pub async fn upload(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    page(&req, &state, true)
}

fn page(req: &HttpRequest, state: &AppState, upload: bool) -> Result<HttpResponse, AppError> {
    let (title, nav) = if upload { ("Upload a package", "upload") } else { ("Sign in", "signin") };
    layout::render(&PendingPage {
        layout: Layout::new(state, req, title).current(nav),
        upload,
        service_index: state.urls.service_index(),
        publish_url: state.urls.publish(),
    })
}

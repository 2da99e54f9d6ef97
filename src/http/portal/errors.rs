//! Friendly HTML pages for failed portal requests. Handlers return `AppError` as everywhere else
//! (error.rs decides the status and the message); this middleware only changes the format, so the
//! feed and API routes keep their text and JSON errors.
use super::layout::{self, Layout};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    heading: &'static str,
    message: String,
}

/// Paths of the feeds and APIs that fall through to the portal's default service (an unknown
/// `/api/v2/...` resource): their clients expect text, not a page.
fn is_machine_path(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/v3/")
}

pub async fn html_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = next.call(req).await?;
    let status = response.status();
    // A page that is already HTML (a form shown again with its validation errors) stays as it is.
    let is_html = response
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !(status.is_client_error() || status.is_server_error()) || is_html || is_machine_path(response.request().path())
    {
        return Ok(response.map_into_boxed_body());
    }
    // Only our own errors carry a message meant for people; anything else (a 405 from routing,
    // an extractor's parse error) gets the generic sentence for its status.
    let message = response.response().error().and_then(|e| e.as_error::<AppError>()).map(AppError::client_message);
    let (req, _) = response.into_parts();
    let page = error_page(&req, status, message);
    Ok(ServiceResponse::new(req, page))
}

fn error_page(req: &HttpRequest, status: StatusCode, message: Option<String>) -> HttpResponse {
    let (heading, generic) = match status.as_u16() {
        400 => ("That request did not make sense", "Something in the address is not valid."),
        401 | 403 => ("You can't do that", "You don't have permission to see this page."),
        404 => ("Page not found", "The page you are looking for does not exist or was moved."),
        405 => ("You can't do that here", "This page does not accept that kind of request."),
        500.. => ("Something went wrong", "The server failed to show this page; the error has been logged."),
        _ => ("That did not work", "The request could not be completed."),
    };
    let fallback = || HttpResponse::build(status).content_type("text/plain; charset=utf-8").body(generic);
    let Some(state) = req.app_data::<web::Data<AppState>>() else { return fallback() };
    let page = ErrorPage {
        layout: Layout::new(state, req, heading),
        status: status.as_u16(),
        heading,
        message: message.unwrap_or_else(|| generic.to_owned()),
    };
    layout::render_status(status, &page).unwrap_or_else(|_| fallback())
}

/// The portal's default service: any path nothing else claimed.
pub async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound("The page you are looking for does not exist or was moved.".into()))
}

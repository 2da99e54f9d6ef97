//! `POST /contact`: the support form, for signed-in and signed-out visitors; JSON or an HTML form
//! post. A session counts only with its CSRF token (otherwise the request is filed as anonymous).
use super::json_config;
use crate::error::AppError;
use crate::http::call::Call;
use crate::http::session::SessionUser;
use crate::services::support::{self, ContactForm};
use actix_web::{web, Either, HttpResponse};

pub fn resource() -> actix_web::Resource {
    web::resource("/contact")
        // POST only: GET /contact falls through to the portal's contact page.
        .guard(actix_web::guard::Post())
        .app_data(json_config())
        .app_data(
            web::FormConfig::default()
                .limit(64 * 1024)
                .error_handler(|err, _| AppError::BadRequest(format!("The form could not be read: {err}.")).into()),
        )
        .route(web::post().to(file))
}

async fn file(
    call: Call,
    user: Option<SessionUser>,
    body: Either<web::Json<ContactForm>, web::Form<ContactForm>>,
) -> Result<HttpResponse, AppError> {
    let form = match body {
        Either::Left(json) => json.into_inner(),
        Either::Right(form) => form.into_inner(),
    };
    let filed =
        call.run(move |state, ip| support::file(state, &form, user.as_ref().map(|u| &u.0.principal), ip)).await?;
    Ok(HttpResponse::Created().json(filed))
}

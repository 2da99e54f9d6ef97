//! `PUT|DELETE /api/packages/{id}/versions/{version}/deprecation`: an owner deprecates a version
//! (or withdraws the deprecation) from a script with an API key (`X-NuGet-ApiKey`, the unlist
//! scope) or from a signed-in session (with the CSRF header).
use super::json_config;
use crate::domain::deprecation::Deprecation;
use crate::error::AppError;
use crate::http::auth::{api_key_principal, API_KEY_HEADER};
use crate::http::call::Call;
use crate::http::session::SessionUser;
use crate::services::deprecation;
use crate::services::permissions::Principal;
use crate::state::AppState;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;

pub fn scope() -> actix_web::Scope {
    web::scope("/api/packages/{id}/versions/{version}")
        .app_data(json_config())
        .route("/deprecation", web::put().to(deprecate))
        .route("/deprecation", web::delete().to(undeprecate))
}

/// The body mirrors the registration leaf's `deprecation` object.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DeprecationBody {
    #[serde(default)]
    reasons: Vec<String>,
    message: Option<String>,
    alternate_package: Option<AlternateBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlternateBody {
    id: String,
    range: Option<String>,
}

/// An API key when the request carries one, else the session.
async fn principal(req: &HttpRequest, state: &AppState) -> Result<Principal, AppError> {
    if req.headers().contains_key(API_KEY_HEADER) {
        return api_key_principal(req, state).await;
    }
    Ok(SessionUser::extract(req).await?.0.principal)
}

async fn deprecate(
    req: HttpRequest,
    call: Call,
    path: web::Path<(String, String)>,
    body: web::Json<DeprecationBody>,
) -> Result<HttpResponse, AppError> {
    let principal = principal(&req, call.state()).await?;
    let alternate = body.alternate_package.as_ref();
    let parsed = Deprecation::parse(
        &body.reasons,
        body.message.as_deref(),
        alternate.map(|a| a.id.as_str()),
        alternate.and_then(|a| a.range.as_deref()),
    )
    .map_err(|e| AppError::BadRequest(e.to_string()))?;
    change(&call, principal, path.into_inner(), Some(parsed)).await
}

async fn undeprecate(
    req: HttpRequest,
    call: Call,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let principal = principal(&req, call.state()).await?;
    change(&call, principal, path.into_inner(), None).await
}

async fn change(
    call: &Call,
    principal: Principal,
    (id, version): (String, String),
    parsed: Option<Deprecation>,
) -> Result<HttpResponse, AppError> {
    call.run(move |state, ip| deprecation::apply(state, &principal, &id, &version, parsed.as_ref(), ip)).await?;
    Ok(HttpResponse::NoContent().finish())
}

//! Upload from the browser (`/packages/manage/upload`): receive the file → "verify details" →
//! Submit publishes through `publish::publish_file` (the CLI push's rules, messages and scanning),
//! Cancel discards. The held file lives in `services::uploads`, bound to the session.
use super::forms::{self, Errors};
use super::layout::{self, Layout};
use super::viewer::Account;
use crate::error::AppError;
use crate::http::call::Call;
use crate::http::intake;
use crate::services::package_file;
use crate::services::permissions;
use crate::services::publish::{self, PushOutcome};
use crate::services::sessions::Session;
use crate::services::uploads::{self, Preview};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "upload.html")]
struct UploadPage {
    layout: Layout,
    errors: Errors,
    max_mb: u64,
    /// Set when `[accounts] require_2fa_for_publishers` refuses this account: where to enrol.
    enrol_url: Option<String>,
}

#[derive(Template)]
#[template(path = "upload_verify.html")]
struct VerifyPage {
    layout: Layout,
    errors: Errors,
    upload: String,
    p: Preview,
    submit_url: String,
    cancel_url: String,
}

fn upload_page(state: &AppState, req: &HttpRequest, errors: Errors) -> Result<HttpResponse, AppError> {
    let status = if errors.any() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    render(state, req, status, errors, None)
}

fn render(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    errors: Errors,
    enrol_url: Option<String>,
) -> Result<HttpResponse, AppError> {
    let page = UploadPage {
        layout: Layout::new(state, req, "Upload a package").current("upload"),
        errors,
        max_mb: state.config.publish.max_package_mb,
        enrol_url,
    };
    layout::render_status(status, &page)
}

/// The refusal of `[accounts] require_2fa_for_publishers`, with the link to enrol; `status` is
/// 200 for the page and 403 for a post.
fn two_factor_refusal(
    state: &AppState,
    req: &HttpRequest,
    account: &Account,
    status: StatusCode,
) -> Option<Result<HttpResponse, AppError>> {
    let refused = permissions::may_publish_with_session(&account.session.principal).err()?;
    let mut errors = Errors::default();
    errors.form = refused.client_message();
    Some(render(state, req, status, errors, Some(state.urls.site_path_of("/account/two-factor"))))
}

pub async fn form(req: HttpRequest, state: web::Data<AppState>, account: Account) -> Result<HttpResponse, AppError> {
    if let Some(refused) = two_factor_refusal(&state, &req, &account, StatusCode::OK) {
        return refused;
    }
    upload_page(&state, &req, Errors::default())
}

/// Reads the multipart form: the `csrf` field must come (and match) before the `package` file is
/// written anywhere. `None` when the form has no `package` part.
async fn receive(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    account: &Account,
) -> Result<Option<tempfile::NamedTempFile>, AppError> {
    let mut form = intake::form(req, payload, state)?;
    let mut csrf = String::new();
    while let Some(part) = form.next_part().await? {
        match part.name.as_deref().unwrap_or_default() {
            "csrf" => csrf = form.read_text(256).await?,
            "package" => {
                account.check_csrf(state, &csrf)?;
                return intake::spool_part(&mut form, state).await;
            }
            _ => {}
        }
    }
    account.check_csrf(state, &csrf)?;
    Ok(None)
}

pub async fn receive_upload(
    req: HttpRequest,
    call: Call,
    account: Account,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let state = call.state();
    // Before the file is read: nothing is held for an account that may not publish.
    if let Some(refused) = two_factor_refusal(state, &req, &account, StatusCode::FORBIDDEN) {
        return refused;
    }
    let file = match receive(&req, payload, state, &account).await {
        Ok(Some(file)) => file,
        Ok(None) => return upload_page(state, &req, Errors::field("package", "Choose a .nupkg file to upload.")),
        Err(e @ AppError::Forbidden(_)) => return Err(e),
        Err(e) => return upload_page(state, &req, Errors::field("package", Errors::from_refusal(e, &[])?.form)),
    };
    // Check it now, so a broken package is reported on the upload page and never held.
    let held = account
        .run(&call, move |st, session, _| {
            package_file::inspect(st, file.path())?;
            uploads::hold(st, session.id, file)
        })
        .await;
    match held {
        Ok(token) => Ok(forms::see_other(&verify_url(state, &token))),
        Err(e) => upload_page(state, &req, Errors::field("package", Errors::from_refusal(e, &[])?.form)),
    }
}

fn verify_url(state: &AppState, token: &str) -> String {
    format!("{}?upload={token}", state.urls.site_path_of("/packages/manage/upload/verify"))
}

#[derive(Deserialize)]
pub struct UploadQuery {
    #[serde(default)]
    upload: String,
}

async fn verify_page(
    call: &Call,
    req: &HttpRequest,
    account: &Account,
    token: String,
    errors: Errors,
) -> Result<HttpResponse, AppError> {
    let t = token.clone();
    let preview = account
        .run(call, move |st, session, _| uploads::preview(st, &session.principal, &uploads::held(st, session.id, &t)?))
        .await?;
    let state = call.state();
    let status = if errors.any() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = VerifyPage {
        layout: Layout::new(state, req, "Verify package details").current("upload"),
        errors,
        upload: token,
        p: preview,
        submit_url: state.urls.site_path_of("/packages/manage/upload/submit"),
        cancel_url: state.urls.site_path_of("/packages/manage/upload/cancel"),
    };
    layout::render_status(status, &page)
}

pub async fn verify(
    req: HttpRequest,
    call: Call,
    account: Account,
    q: web::Query<UploadQuery>,
) -> Result<HttpResponse, AppError> {
    verify_page(&call, &req, &account, q.into_inner().upload, Errors::default()).await
}

#[derive(Deserialize)]
pub struct HeldForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    upload: String,
}

/// Publishes the held upload; a refusal (same message as the CLI push) is shown on the verify page.
pub async fn submit(
    req: HttpRequest,
    call: Call,
    account: Account,
    form: web::Form<HeldForm>,
) -> Result<HttpResponse, AppError> {
    let HeldForm { upload, csrf } = form.into_inner();
    let publish = move |st: &AppState, s: &Session, ip: Option<&str>| {
        let path = uploads::held(st, s.id, &upload)?;
        // Published or refused, the held file has served its purpose: a refusal (an existing
        // version, an id owned by others, a failed scan) would refuse the same file again.
        let outcome = publish::publish_file(st, &s.principal, &path, ip);
        uploads::discard(&path)?;
        outcome
    };
    let outcome = account.submit(&call, &csrf, publish).await?;
    let state = call.state();
    match outcome {
        Ok(PushOutcome::Published(p)) => Ok(forms::see_other(&state.urls.portal_package(&p.id))),
        // Waiting for its scan: the version page tells its owners so.
        Ok(PushOutcome::Accepted(p, _)) => Ok(forms::see_other(&state.urls.portal_package_version(&p.id, &p.version))),
        Err(e @ AppError::NotFound(_)) => Err(e),
        Err(e) => upload_page(state, &req, Errors::from_refusal(e, &[])?),
    }
}

pub async fn cancel(call: Call, account: Account, form: web::Form<HeldForm>) -> Result<HttpResponse, AppError> {
    let HeldForm { upload, csrf } = form.into_inner();
    let discard = move |st: &AppState, s: &Session, _: Option<&str>| {
        uploads::held(st, s.id, &upload).and_then(|p| uploads::discard(&p))
    };
    account.submit(&call, &csrf, discard).await??;
    Ok(forms::see_other(&call.state().urls.portal_upload()))
}

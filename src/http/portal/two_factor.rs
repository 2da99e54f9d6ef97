//! Two-factor authentication in the account settings (`/account/two-factor`): enrolment (a QR
//! code of the `otpauth://` URI rendered here as inline SVG, the secret in text, and a code to
//! confirm), the recovery codes shown once, and turning it off with the password.
use super::forms::{Errors, Pairs};
use super::layout::{self, Layout};
use super::viewer::Account;
use crate::error::AppError;
use crate::http::call::Call;
use crate::services::sessions::Session;
use crate::services::{blocking, two_factor};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "two_factor.html")]
struct TwoFactorPage {
    layout: Layout,
    enabled: bool,
    recovery_codes_left: i64,
    /// While enrolling: the secret in text and its QR code.
    secret: String,
    qr_svg: String,
    /// Right after enrolment: the recovery codes, shown this once.
    recovery_codes: Vec<String>,
    errors: Errors,
    notice: String,
    base: String,
}

/// The QR code of `uri` as an inline `<svg>` element (no XML declaration). It holds only
/// rectangles drawn from our own URI, so it is safe to put into the page as markup.
fn qr_svg(uri: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(AppError::internal)?;
    let svg = code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build();
    Ok(svg.find("<svg").map_or(svg.clone(), |at| svg[at..].to_owned()))
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    account: &Account,
    recovery_codes: Vec<String>,
    errors: Errors,
    notice: String,
) -> Result<HttpResponse, AppError> {
    let (st, user) = (state.clone(), account.session.user.clone());
    let (status, enrolment) = blocking(move || {
        let status = two_factor::status(&st, user.id)?;
        let enrolment = if status.enabled { None } else { Some(two_factor::enrolment(&st, &user)?) };
        Ok((status, enrolment))
    })
    .await?;
    let (secret, qr) = match enrolment {
        Some(e) => (e.secret_base32, qr_svg(&e.uri)?),
        None => (String::new(), String::new()),
    };
    let code = if errors.any() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = TwoFactorPage {
        layout: Layout::new(state, req, "Two-factor authentication"),
        enabled: status.enabled,
        recovery_codes_left: status.recovery_codes_left,
        secret,
        qr_svg: qr,
        recovery_codes,
        errors,
        notice,
        base: state.urls.site_path_of("/account/two-factor"),
    };
    layout::render_status(code, &page)
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>, account: Account) -> Result<HttpResponse, AppError> {
    render(&state, &req, &account, Vec::new(), Errors::default(), String::new()).await
}

pub async fn confirm(
    req: HttpRequest,
    call: Call,
    account: Account,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    let (state, code) = (call.state().clone(), form.get("code").to_owned());
    let confirm =
        move |st: &AppState, s: &Session, ip: Option<&str>| two_factor::confirm_enrolment(st, &s.principal, &code, ip);
    match account.submit(&call, form.get("csrf"), confirm).await? {
        Ok(codes) => {
            let notice = "Two-factor authentication is on.".to_owned();
            render(&state, &req, &account, codes, Errors::default(), notice).await
        }
        Err(e) => {
            let errors = Errors::field("code", Errors::from_refusal(e, &[])?.form);
            render(&state, &req, &account, Vec::new(), errors, String::new()).await
        }
    }
}

pub async fn disable(
    req: HttpRequest,
    call: Call,
    account: Account,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    let (state, password) = (call.state().clone(), form.get("current_password").to_owned());
    let disable =
        move |st: &AppState, s: &Session, ip: Option<&str>| two_factor::disable(st, &s.principal, &password, ip);
    match account.submit(&call, form.get("csrf"), disable).await? {
        Ok(()) => {
            let notice = "Two-factor authentication is off.".to_owned();
            render(&state, &req, &account, Vec::new(), Errors::default(), notice).await
        }
        Err(e) => {
            let errors = Errors::field("current_password", Errors::from_refusal(e, &[])?.form);
            render(&state, &req, &account, Vec::new(), errors, String::new()).await
        }
    }
}

//! The contact form (`/contact`, posted to `/contact/send`) and the package's "Report abuse" form
//! (`/packages/{id}/{version}/ReportAbuse`): both file a support request through
//! `support::file`. Signed-out visitors may write too; signed-in ones send the session's CSRF
//! token, and their account is attached.
use super::forms::{Errors, Pairs};
use super::layout::{self, Layout};
use super::viewer::Account;
use crate::error::AppError;
use crate::http::call::Call;
use crate::services::package_details::{self, Viewer};
use crate::services::support::{self, ContactForm};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage {
    layout: Layout,
    form: Typed,
    errors: Errors,
    filed: String,
    action: String,
    /// Set on the Report abuse page: the package and version the report is about.
    report: Option<(String, String, String)>,
}

#[derive(Default, Deserialize)]
pub struct Typed {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    package_id: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    username: String,
}

#[derive(Deserialize)]
pub struct ContactQuery {
    #[serde(default)]
    package: String,
}

fn render(page: &ContactPage) -> Result<HttpResponse, AppError> {
    let status = if page.errors.any() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    layout::render_status(status, page)
}

fn page(state: &AppState, req: &HttpRequest, title: &str, form: Typed) -> ContactPage {
    ContactPage {
        layout: Layout::new(state, req, title),
        form,
        errors: Errors::default(),
        filed: String::new(),
        action: state.urls.site_path_of("/contact/send"),
        report: None,
    }
}

pub async fn contact_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<ContactQuery>,
) -> Result<HttpResponse, AppError> {
    let form = Typed { package_id: q.into_inner().package, ..Typed::default() };
    render(&page(&state, &req, "Contact the administrators", form))
}

/// Files the request; the account (if signed in with a valid token) is the requester.
async fn file(
    call: &Call,
    req: &HttpRequest,
    pairs: &Pairs,
    form: &Typed,
    about: Option<String>,
) -> Result<Result<String, Errors>, AppError> {
    let account = Account::of(req);
    if let Some(a) = &account {
        a.check_csrf(call.state(), pairs.get("csrf"))?;
    }
    let message = match about {
        Some(about) if !form.message.trim().is_empty() => format!("{about}\n\n{}", form.message.trim()),
        _ => form.message.clone(),
    };
    let contact = ContactForm {
        kind: if form.kind.is_empty() { "other".into() } else { form.kind.clone() },
        package_id: Some(form.package_id.clone()),
        message,
        email: Some(form.email.clone()),
        username: Some(form.username.clone()),
    };
    let who = account.map(|a| a.session.principal);
    match call.run(move |state, ip| support::file(state, &contact, who.as_ref(), ip)).await {
        Ok(filed) => Ok(Ok(filed.message)),
        Err(e) => {
            let mut errors = Errors::from_refusal(e, &["describe", "package", "email", "kind"])?;
            errors.rename(&[("describe", "message"), ("package", "package_id")]);
            Ok(Err(errors))
        }
    }
}

fn typed(pairs: &Pairs) -> Typed {
    Typed {
        kind: pairs.get("kind").to_owned(),
        package_id: pairs.get("package_id").trim().to_owned(),
        message: pairs.get("message").to_owned(),
        email: pairs.get("email").trim().to_owned(),
        username: pairs.get("username").trim().to_owned(),
    }
}

pub async fn send(req: HttpRequest, call: Call, pairs: web::Form<Pairs>) -> Result<HttpResponse, AppError> {
    let form = typed(&pairs);
    let outcome = file(&call, &req, &pairs, &form, None).await?;
    let mut p = page(call.state(), &req, "Contact the administrators", form);
    match outcome {
        Ok(message) => p.filed = message,
        Err(errors) => p.errors = errors,
    }
    render(&p)
}

async fn report_page(
    call: &Call,
    req: &HttpRequest,
    id: String,
    version: String,
    form: Option<Typed>,
) -> Result<ContactPage, AppError> {
    let id = super::packages::page_id(&id)?;
    let selected =
        call.run(move |state, _| package_details::select(state, &id, Some(&version), Viewer::anonymous())).await?;
    let state = call.state();
    let v = selected.version();
    let title = format!("Report package {} {}", v.package_id, v.version_normalized);
    let form =
        form.unwrap_or_else(|| Typed { kind: "other".into(), package_id: v.package_id.clone(), ..Typed::default() });
    let mut p = page(state, req, &title, form);
    p.action = state.urls.portal_report_abuse(&v.package_id, &v.version_normalized);
    p.report = Some((
        v.package_id.clone(),
        v.version_normalized.clone(),
        state.urls.portal_package_version(&v.package_id, &v.version_normalized),
    ));
    Ok(p)
}

/// The `ReportAbuseUriTemplate` target.
pub async fn report_form(
    req: HttpRequest,
    call: Call,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, version) = path.into_inner();
    render(&report_page(&call, &req, id, version, None).await?)
}

pub async fn report(
    req: HttpRequest,
    call: Call,
    path: web::Path<(String, String)>,
    pairs: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    let (id, version) = path.into_inner();
    let mut form = typed(&pairs);
    form.kind = "other".into();
    let mut p = report_page(&call, &req, id, version, None).await?;
    let (pkg, ver, _) = p.report.clone().unwrap_or_default();
    form.package_id = pkg.clone();
    let outcome = file(&call, &req, &pairs, &form, Some(format!("Report abuse of {pkg} {ver}:"))).await?;
    p.form = form;
    match outcome {
        Ok(message) => p.filed = message,
        Err(errors) => p.errors = errors,
    }
    render(&p)
}

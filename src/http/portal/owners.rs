//! Package owners (`/packages/{id}/owners`): list, invite by username, remove, cancel an
//! invitation; and the emailed invitation link (`/packages/{id}/owners/confirm?token=…`), where
//! the signed-in invitee accepts or declines. The owners service holds every rule.
use super::forms::{self, Errors, Pairs};
use super::layout::{self, Layout};
use super::run_as::run_as;
use super::viewer::Account;
use crate::error::AppError;
use crate::services::owners::{self, Answer, OwnersView};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "owners.html")]
struct OwnersPage {
    layout: Layout,
    view: OwnersView,
    errors: Errors,
    typed: String,
    action: String,
    package_url: String,
}

#[derive(Template)]
#[template(path = "owner_confirm.html")]
struct ConfirmPage {
    layout: Layout,
    id: String,
    token: String,
    action: String,
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    account: &Account,
    id: String,
    typed: String,
    errors: Errors,
) -> Result<HttpResponse, AppError> {
    let view = run_as(req, state, account, move |st, p, _| owners::list(st, Some(p), &id)).await?;
    let status = if errors.any() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = OwnersPage {
        layout: Layout::new(state, req, format!("Owners of {}", view.package_id)),
        action: format!("{}/owners", state.urls.portal_package(&view.package_id)),
        package_url: state.urls.portal_package(&view.package_id),
        view,
        errors,
        typed,
    };
    layout::render_status(status, &page)
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    account: Account,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    render(&state, &req, &account, path.into_inner(), String::new(), Errors::default()).await
}

fn back(state: &AppState, id: &str) -> HttpResponse {
    forms::see_other(&format!("{}/owners", state.urls.portal_package(id)))
}

pub async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    account: Account,
    path: web::Path<String>,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    account.check_csrf(&state, form.get("csrf"))?;
    let (id, username) = (path.into_inner(), form.get("username").trim().to_owned());
    if username.is_empty() {
        let e = Errors::field("username", "Enter the username of the account to invite.");
        return render(&state, &req, &account, id, username, e).await;
    }
    let (i, u) = (id.clone(), username.clone());
    match run_as(&req, &state, &account, move |st, p, ip| owners::invite(st, p, &i, &u, ip)).await {
        Ok(_) => Ok(back(&state, &id)),
        Err(e @ AppError::Forbidden(_)) => Err(e),
        // Every other refusal is about the name typed (unknown, disabled, already an owner).
        Err(e) => {
            let message = Errors::from_refusal(e, &[])?.form;
            render(&state, &req, &account, id, username, Errors::field("username", message)).await
        }
    }
}

pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    account: Account,
    path: web::Path<String>,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    account.check_csrf(&state, form.get("csrf"))?;
    let (id, username) = (path.into_inner(), form.get("username").to_owned());
    let i = id.clone();
    match run_as(&req, &state, &account, move |st, p, ip| owners::remove(st, p, &i, &username, ip)).await {
        Ok(()) => Ok(back(&state, &id)),
        Err(e @ AppError::Forbidden(_)) => Err(e),
        Err(e) => render(&state, &req, &account, id, String::new(), Errors::from_refusal(e, &[])?).await,
    }
}

pub async fn cancel(
    req: HttpRequest,
    state: web::Data<AppState>,
    account: Account,
    path: web::Path<String>,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    account.check_csrf(&state, form.get("csrf"))?;
    let (id, username) = (path.into_inner(), form.get("username").to_owned());
    let i = id.clone();
    run_as(&req, &state, &account, move |st, p, ip| owners::cancel(st, p, &i, &username, ip)).await?;
    Ok(back(&state, &id))
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The emailed link's page: signing in first brings the invitee back here, token included.
pub async fn confirm_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _account: Account,
    path: web::Path<String>,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    layout::render(&ConfirmPage {
        layout: Layout::new(&state, &req, format!("Ownership of {id}")),
        action: format!("{}/owners/confirm", state.urls.portal_package(&id)),
        id,
        token: q.into_inner().token,
    })
}

pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    account: Account,
    path: web::Path<String>,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    account.check_csrf(&state, form.get("csrf"))?;
    let answer = if form.get("answer") == "accept" { Answer::Accept } else { Answer::Decline };
    let (id, token) = (path.into_inner(), form.get("token").to_owned());
    run_as(&req, &state, &account, move |st, p, ip| owners::answer(st, p, &id, &token, answer, ip)).await?;
    Ok(forms::see_other(&state.urls.site_path_of("/account/packages")))
}

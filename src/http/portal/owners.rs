//! Package owners (`/packages/{id}/owners`): list, invite by username, remove, cancel an
//! invitation; and the emailed invitation link (`/packages/{id}/owners/confirm?token=…`), where
//! the signed-in invitee accepts or declines. The owners service holds every rule.
use super::forms::{self, Errors, Pairs};
use super::layout::{self, Layout};
use super::viewer::Account;
use crate::error::AppError;
use crate::http::call::Call;
use crate::http::package_path::IdPath;
use crate::services::owners::{self, Answer, OwnersView};
use crate::services::sessions::Session;
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
    call: &Call,
    req: &HttpRequest,
    account: &Account,
    id: String,
    typed: String,
    errors: Errors,
) -> Result<HttpResponse, AppError> {
    let view = account.run(call, move |st, s, _| owners::list(st, Some(&s.principal), &id)).await?;
    let (state, status) = (call.state(), if errors.any() { StatusCode::BAD_REQUEST } else { StatusCode::OK });
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
    call: Call,
    account: Account,
    IdPath { id, .. }: IdPath,
) -> Result<HttpResponse, AppError> {
    render(&call, &req, &account, id.as_str().to_owned(), String::new(), Errors::default()).await
}

fn back(call: &Call, id: &str) -> HttpResponse {
    forms::see_other(&format!("{}/owners", call.state().urls.portal_package(id)))
}

/// After an invitation or a removal: back to the list, or the list again with the refusal shown
/// on the form (an unknown, disabled or already-owning name); a refusal of the caller (403) is
/// not the form's to show.
async fn back_or_refusal(
    call: &Call,
    req: &HttpRequest,
    account: &Account,
    id: String,
    typed: String,
    outcome: Result<(), AppError>,
    field: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    match outcome {
        Ok(()) => Ok(back(call, &id)),
        Err(e @ AppError::Forbidden(_)) => Err(e),
        Err(e) => {
            let errors = Errors::from_refusal(e, &[])?;
            let errors = match field {
                Some(f) => Errors::field(f, errors.form),
                None => errors,
            };
            render(call, req, account, id, typed, errors).await
        }
    }
}

pub async fn invite(
    req: HttpRequest,
    call: Call,
    account: Account,
    IdPath { id, .. }: IdPath,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    account.check_csrf(call.state(), form.get("csrf"))?;
    let (id, username) = (id.as_str().to_owned(), form.get("username").trim().to_owned());
    if username.is_empty() {
        let e = Errors::field("username", "Enter the username of the account to invite.");
        return render(&call, &req, &account, id, username, e).await;
    }
    let (i, u) = (id.clone(), username.clone());
    let outcome = account.run(&call, move |st, s, ip| owners::invite(st, &s.principal, &i, &u, ip).map(drop)).await;
    back_or_refusal(&call, &req, &account, id, username, outcome, Some("username")).await
}

pub async fn remove(
    req: HttpRequest,
    call: Call,
    account: Account,
    IdPath { id, .. }: IdPath,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    let (id, username) = (id.as_str().to_owned(), form.get("username").to_owned());
    let i = id.clone();
    let remove =
        move |st: &AppState, s: &Session, ip: Option<&str>| owners::remove(st, &s.principal, &i, &username, ip);
    let outcome = account.submit(&call, form.get("csrf"), remove).await?;
    back_or_refusal(&call, &req, &account, id, String::new(), outcome, None).await
}

pub async fn cancel(
    call: Call,
    account: Account,
    IdPath { id, .. }: IdPath,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    let (id, username) = (id.as_str().to_owned(), form.get("username").to_owned());
    let i = id.clone();
    let cancel =
        move |st: &AppState, s: &Session, ip: Option<&str>| owners::cancel(st, &s.principal, &i, &username, ip);
    account.submit(&call, form.get("csrf"), cancel).await??;
    Ok(back(&call, &id))
}

/// The answer an invitation form posted: `answer=accept` accepts, anything else declines.
pub(super) fn answer_of(form: &Pairs) -> Answer {
    if form.get("answer") == "accept" {
        Answer::Accept
    } else {
        Answer::Decline
    }
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
    IdPath { id, .. }: IdPath,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let id = id.as_str().to_owned();
    layout::render(&ConfirmPage {
        layout: Layout::new(&state, &req, format!("Ownership of {id}")),
        action: format!("{}/owners/confirm", state.urls.portal_package(&id)),
        id,
        token: q.into_inner().token,
    })
}

pub async fn confirm(
    call: Call,
    account: Account,
    IdPath { id, .. }: IdPath,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    let answer = answer_of(&form);
    let (id, token) = (id.as_str().to_owned(), form.get("token").to_owned());
    let confirm =
        move |st: &AppState, s: &Session, ip: Option<&str>| owners::answer(st, &s.principal, &id, &token, answer, ip);
    account.submit(&call, form.get("csrf"), confirm).await??;
    Ok(forms::see_other(&call.state().urls.site_path_of("/account/packages")))
}

//! The admin page (`/admin`, administrators only): server status, users (disable, enable, make
//! admin), open support requests (close, invite, add owner), held versions and the audit log.
//! Every action posts to `/admin/...` and comes back here; the services check the role again.
use super::forms::{self, Pairs};
use super::layout::{self, Layout};
use super::run_as::run_as;
use super::viewer::Account;
use crate::error::AppError;
use crate::http::auth::client_ip;
use crate::services::admin_overview::{self, Overview};
use crate::services::{accounts, blocking, support, two_factor};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    layout: Layout,
    o: Overview,
    base: String,
    /// Each `[[upstream]]` with its hit, miss and error counts since start.
    upstreams: Vec<(String, crate::upstream::health::HealthReport)>,
}

fn require_admin(account: &Account) -> Result<(), AppError> {
    if account.session.user.is_admin {
        Ok(())
    } else {
        Err(AppError::Forbidden("Only administrators may see this page.".into()))
    }
}

fn back(state: &AppState) -> HttpResponse {
    forms::see_other(&state.urls.site_path_of("/admin"))
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>, account: Account) -> Result<HttpResponse, AppError> {
    require_admin(&account)?;
    let o = run_as(&req, &state, &account, |st, p, _| admin_overview::overview(st, p)).await?;
    layout::render(&AdminPage {
        layout: Layout::new(&state, &req, "Administration"),
        o,
        base: state.urls.site_path_of("/admin"),
        upstreams: state.mirror.upstreams.iter().map(|u| (u.name().to_owned(), u.health.report())).collect(),
    })
}

/// `action` = disable | enable | make-admin | remove-admin | reset-2fa.
pub async fn update_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    account: Account,
    path: web::Path<String>,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    account.check_csrf(&state, form.get("csrf"))?;
    if form.get("action") == "reset-2fa" {
        let (st, p, ip, username) =
            (state.get_ref().clone(), account.session.principal.clone(), client_ip(&req), path.into_inner());
        blocking(move || two_factor::reset(&st, &p, &username, ip.as_deref())).await?;
        return Ok(back(&state));
    }
    let (is_admin, is_disabled) = match form.get("action") {
        "disable" => (None, Some(true)),
        "enable" => (None, Some(false)),
        "make-admin" => (Some(true), None),
        "remove-admin" => (Some(false), None),
        other => return Err(AppError::BadRequest(format!("'{other}' is not an action on accounts."))),
    };
    let (st, principal, username) = (state.get_ref().clone(), account.session.principal.clone(), path.into_inner());
    blocking(move || accounts::update_by_admin(&st, &principal, &username, is_admin, is_disabled)).await?;
    Ok(back(&state))
}

/// `action` = close | invite | add-owner, on support request `{request}`.
pub async fn support_action(
    req: HttpRequest,
    state: web::Data<AppState>,
    account: Account,
    path: web::Path<i64>,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    account.check_csrf(&state, form.get("csrf"))?;
    let (id, action) = (path.into_inner(), form.get("action").to_owned());
    run_as(&req, &state, &account, move |st, p, ip| match action.as_str() {
        "close" => support::close(st, p, id, None, ip).map(drop),
        "invite" => support::invite(st, p, id, None, ip).map(drop),
        "add-owner" => support::add_owner(st, p, id, None, ip).map(drop),
        other => Err(AppError::BadRequest(format!("'{other}' is not an action on support requests."))),
    })
    .await?;
    Ok(back(&state))
}

//! The admin page (`/admin`, administrators only): server status, users (disable, enable, make
//! admin), open support requests (close, invite, add owner), held versions and the audit log.
//! Every action posts to `/admin/...` and comes back here; the services check the role again.
use super::forms::{self, Pairs};
use super::layout::{self, Layout};
use super::viewer::Account;
use crate::error::AppError;
use crate::http::call::Call;
use crate::services::admin_overview::{self, Overview};
use crate::services::sessions::Session;
use crate::services::{accounts, support, two_factor};
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

fn back(call: &Call) -> HttpResponse {
    forms::see_other(&call.state().urls.site_path_of("/admin"))
}

pub async fn page(req: HttpRequest, call: Call, account: Account) -> Result<HttpResponse, AppError> {
    require_admin(&account)?;
    let o = account.run(&call, |st, s, _| admin_overview::overview(st, &s.principal)).await?;
    let state = call.state();
    layout::render(&AdminPage {
        layout: Layout::new(state, &req, "Administration"),
        o,
        base: state.urls.site_path_of("/admin"),
        upstreams: state.mirror.upstreams.iter().map(|u| (u.name().to_owned(), u.health.report())).collect(),
    })
}

/// `action` = disable | enable | make-admin | remove-admin | reset-2fa.
pub async fn update_user(
    call: Call,
    account: Account,
    path: web::Path<String>,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    let (username, action) = (path.into_inner(), form.get("action").to_owned());
    let update = move |st: &AppState, s: &Session, ip: Option<&str>| {
        let (is_admin, is_disabled) = match action.as_str() {
            "reset-2fa" => return two_factor::reset(st, &s.principal, &username, ip),
            "disable" => (None, Some(true)),
            "enable" => (None, Some(false)),
            "make-admin" => (Some(true), None),
            "remove-admin" => (Some(false), None),
            other => return Err(AppError::BadRequest(format!("'{other}' is not an action on accounts."))),
        };
        accounts::update_by_admin(st, &s.principal, &username, is_admin, is_disabled)
    };
    account.submit(&call, form.get("csrf"), update).await??;
    Ok(back(&call))
}

/// `action` = close | invite | add-owner, on support request `{request}`.
pub async fn support_action(
    call: Call,
    account: Account,
    path: web::Path<i64>,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    let (id, action) = (path.into_inner(), form.get("action").to_owned());
    let apply = move |st: &AppState, s: &Session, ip: Option<&str>| match action.as_str() {
        "close" => support::close(st, &s.principal, id, None, ip).map(drop),
        "invite" => support::invite(st, &s.principal, id, None, ip).map(drop),
        "add-owner" => support::add_owner(st, &s.principal, id, None, ip).map(drop),
        other => Err(AppError::BadRequest(format!("'{other}' is not an action on support requests."))),
    };
    account.submit(&call, form.get("csrf"), apply).await??;
    Ok(back(&call))
}

//! "Manage my packages" (`/account/packages`): owned packages with per-version unlist/relist, and
//! pending ownership invitations to accept or decline.
use super::forms::{self, Pairs};
use super::layout::{self, Layout};
use super::viewer::Account;
use crate::domain::deprecation::Deprecation;
use crate::error::AppError;
use crate::http::call::Call;
use crate::http::package_path::{IdPath, IdVersionPath};
use crate::services::deprecation;
use crate::services::lifecycle::{self, Change};
use crate::services::my_packages::{self, MyPackages};
use crate::services::owners;
use crate::services::sessions::Session;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "manage.html")]
struct ManagePage {
    layout: Layout,
    mine: MyPackages,
    base: String,
}

impl ManagePage {
    fn package_url(&self, id: &str) -> String {
        format!("{}/packages/{id}", self.base)
    }
}

fn here(call: &Call) -> HttpResponse {
    forms::see_other(&call.state().urls.site_path_of("/account/packages"))
}

pub async fn page(req: HttpRequest, call: Call, account: Account) -> Result<HttpResponse, AppError> {
    let mine = account.run(&call, |st, s, _| my_packages::list(st, &s.principal)).await?;
    let state = call.state();
    layout::render(&ManagePage {
        layout: Layout::new(state, &req, "Manage my packages"),
        mine,
        base: state.urls.site_prefix().to_owned(),
    })
}

/// Unlist or relist one version (`listed=true|false`), through the same service as the CLI.
pub async fn set_listed(
    call: Call,
    account: Account,
    path: IdVersionPath,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    let change = if form.get("listed") == "true" { Change::Relist } else { Change::Unlist };
    let (id, version) = (path.id.as_str().to_owned(), path.version.original().to_owned());
    let apply = move |st: &AppState, s: &Session, ip: Option<&str>| {
        lifecycle::apply(st, &s.principal, &id, &version, change, ip)
    };
    account.submit(&call, form.get("csrf"), apply).await??;
    Ok(here(&call))
}

/// Deprecate one version (reasons, message, alternate package) or, with `remove=true`, withdraw
/// its deprecation: the same service and rules as the JSON API.
pub async fn deprecate(
    call: Call,
    account: Account,
    path: IdVersionPath,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    account.check_csrf(call.state(), form.get("csrf"))?;
    let parsed = if form.get("remove") == "true" {
        None
    } else {
        let d = Deprecation::parse(
            &form.all("reasons"),
            Some(form.get("message")),
            Some(form.get("alternate_id")),
            Some(form.get("alternate_range")),
        )
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
        Some(d)
    };
    let (id, version) = (path.id.as_str().to_owned(), path.version.original().to_owned());
    account
        .run(&call, move |st, s, ip| deprecation::apply(st, &s.principal, &id, &version, parsed.as_ref(), ip))
        .await?;
    Ok(here(&call))
}

/// Accept or decline an invitation listed on the page (`answer=accept|decline`).
pub async fn answer(
    call: Call,
    account: Account,
    IdPath { id, .. }: IdPath,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    let answer = super::owners::answer_of(&form);
    let (id, invitee) = (id.as_str().to_owned(), form.get("invitee").to_owned());
    let apply = move |st: &AppState, s: &Session, ip: Option<&str>| {
        owners::answer_pending(st, &s.principal, &id, &invitee, answer, ip)
    };
    account.submit(&call, form.get("csrf"), apply).await??;
    Ok(here(&call))
}

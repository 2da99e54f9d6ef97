//! "Manage my packages" (`/account/packages`): owned packages with per-version unlist/relist, and
//! pending ownership invitations to accept or decline.
use super::forms::{self, Pairs};
use super::layout::{self, Layout};
use super::run_as::run_as;
use super::viewer::Account;
use crate::domain::deprecation::Deprecation;
use crate::error::AppError;
use crate::services::deprecation;
use crate::services::lifecycle::{self, Change};
use crate::services::my_packages::{self, MyPackages};
use crate::services::owners::{self, Answer};
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

fn here(state: &AppState) -> String {
    state.urls.site_path_of("/account/packages")
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>, account: Account) -> Result<HttpResponse, AppError> {
    let mine = run_as(&req, &state, &account, |st, p, _| my_packages::list(st, p)).await?;
    layout::render(&ManagePage {
        layout: Layout::new(&state, &req, "Manage my packages"),
        mine,
        base: state.urls.site_prefix().to_owned(),
    })
}

/// Unlist or relist one version (`listed=true|false`), through the same service as the CLI.
pub async fn set_listed(
    req: HttpRequest,
    state: web::Data<AppState>,
    account: Account,
    path: web::Path<(String, String)>,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    account.check_csrf(&state, form.get("csrf"))?;
    let change = if form.get("listed") == "true" { Change::Relist } else { Change::Unlist };
    let (id, version) = path.into_inner();
    run_as(&req, &state, &account, move |st, p, ip| lifecycle::apply(st, p, &id, &version, change, ip)).await?;
    Ok(forms::see_other(&here(&state)))
}

/// Deprecate one version (reasons, message, alternate package) or, with `remove=true`, withdraw
/// its deprecation: the same service and rules as the JSON API.
pub async fn deprecate(
    req: HttpRequest,
    state: web::Data<AppState>,
    account: Account,
    path: web::Path<(String, String)>,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    account.check_csrf(&state, form.get("csrf"))?;
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
    let (id, version) = path.into_inner();
    run_as(&req, &state, &account, move |st, p, ip| deprecation::apply(st, p, &id, &version, parsed.as_ref(), ip))
        .await?;
    Ok(forms::see_other(&here(&state)))
}

/// Accept or decline an invitation listed on the page (`answer=accept|decline`).
pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    account: Account,
    path: web::Path<String>,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    account.check_csrf(&state, form.get("csrf"))?;
    let answer = if form.get("answer") == "accept" { Answer::Accept } else { Answer::Decline };
    let invitee = form.get("invitee").to_owned();
    let id = path.into_inner();
    run_as(&req, &state, &account, move |st, p, ip| owners::answer_pending(st, p, &id, &invitee, answer, ip)).await?;
    Ok(forms::see_other(&here(&state)))
}

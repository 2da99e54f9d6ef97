//! Signing in with an `[[oidc]]` provider: the start (`POST /users/account/oidc/{provider}`, the
//! sign-in page's "Sign in with NAME" buttons), the callback the provider redirects back to, and
//! the page where a signed-in account links a provider after confirming its password. The rules
//! are `services::oidc_signin`'s.
use super::forms::{self, Errors};
use super::layout::{self, Layout};
use super::viewer::{self, Account, FORM_COOKIE};
use crate::error::AppError;
use crate::http::call::Call;
use crate::http::session::session_cookie;
use crate::services::blocking;
use crate::services::oidc_signin::{self, Callback, Finished};
use crate::services::sessions::Session;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// The step from a form post to the provider: a page that moves on by itself (see the template).
#[derive(Template)]
#[template(path = "oidc_continue.html")]
struct ContinuePage {
    url: String,
    provider: String,
    css: String,
}

fn continue_to(state: &AppState, provider: &str, url: String) -> Result<HttpResponse, AppError> {
    let css = state.urls.portal_static(super::assets::hashed("app.css"));
    layout::render(&ContinuePage { url, provider: provider.to_owned(), css })
}

/// A "Sign in with NAME" button: the provider's name and where its form posts.
pub struct Button {
    pub name: String,
    pub action: String,
}

/// The sign-in page's buttons, one per provider.
pub fn buttons(state: &AppState) -> Vec<Button> {
    state
        .oidc
        .names()
        .map(|name| Button { name: name.to_owned(), action: state.urls.portal_oidc_start(name) })
        .collect()
}

fn browser(req: &HttpRequest) -> Option<String> {
    req.cookie(FORM_COOKIE).map(|c| c.value().to_owned()).filter(|v| !v.is_empty())
}

#[derive(Deserialize)]
pub struct StartForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, rename = "returnUrl")]
    return_url: String,
}

/// Sends the browser to the provider. A form post with the pre-session token, so another site
/// cannot start a sign-in in a visitor's browser.
pub async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: web::Path<String>,
    form: web::Form<StartForm>,
) -> Result<HttpResponse, AppError> {
    viewer::check_pre_session(&state, &req, &form.csrf)?;
    let return_url = forms::local_return(&state, Some(&form.return_url));
    let browser = browser(&req).unwrap_or_default();
    let url = oidc_signin::start(&state, &provider, &browser, &return_url, None).await?;
    continue_to(&state, &provider, url)
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

pub async fn callback(
    req: HttpRequest,
    call: Call,
    provider: web::Path<String>,
    q: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let callback = Callback { code: q.code, state: q.state, error: q.error };
    let current = Account::of(&req).and_then(|a| a.session.user.id.into());
    let (state, browser) = (call.state(), browser(&req));
    match oidc_signin::finish(state, &provider, browser.as_deref(), callback, current, call.ip()).await? {
        Finished::SignedIn { signed_in, return_url } => {
            Ok(forms::see_other_with(&return_url, session_cookie(state, &req, &signed_in)))
        }
        Finished::Linked => Ok(forms::see_other(&format!("{}?linked={provider}", state.urls.portal_oidc_accounts()))),
    }
}

/// One row of the sign-in providers page.
pub struct Row {
    pub name: String,
    pub linked: bool,
    pub action: String,
}

#[derive(Template)]
#[template(path = "oidc_accounts.html")]
struct ProvidersPage {
    layout: Layout,
    rows: Vec<Row>,
    errors: Errors,
    notice: String,
}

#[derive(Deserialize)]
pub struct LinkedQuery {
    linked: Option<String>,
}

async fn providers_page(
    state: &AppState,
    req: &HttpRequest,
    account: &Account,
    errors: Errors,
    notice: String,
) -> Result<HttpResponse, AppError> {
    let (st, id) = (state.clone(), account.session.user.id);
    let rows = blocking(move || oidc_signin::linked_providers(&st, id))
        .await?
        .into_iter()
        .map(|(name, linked)| Row { action: format!("{}/{name}", state.urls.portal_oidc_accounts()), name, linked })
        .collect();
    let status = if errors.any() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = ProvidersPage { layout: Layout::new(state, req, "Sign-in providers"), rows, errors, notice };
    // The link's callback is bound to the browser's pre-session cookie, as a sign-in's is.
    let (_, cookie) = viewer::pre_session(state, req);
    viewer::with_cookie(layout::render_status(status, &page)?, cookie)
}

pub async fn providers(
    req: HttpRequest,
    state: web::Data<AppState>,
    account: Account,
    q: web::Query<LinkedQuery>,
) -> Result<HttpResponse, AppError> {
    // Only a configured provider's name is repeated: the query must not put words on the page.
    let linked = q.into_inner().linked.and_then(|name| state.oidc.get(&name).map(|p| p.config.name.clone()));
    let notice = linked.map(|name| format!("{name} is now linked to your account.")).unwrap_or_default();
    providers_page(&state, &req, &account, Errors::default(), notice).await
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

/// Links a provider: the account's password confirms it, then the browser goes to the provider.
pub async fn link(
    req: HttpRequest,
    call: Call,
    account: Account,
    provider: web::Path<String>,
    form: web::Form<LinkForm>,
) -> Result<HttpResponse, AppError> {
    let state = call.state();
    account.check_csrf(state, &form.csrf)?;
    let Some(browser) = browser(&req) else {
        return Err(AppError::BadRequest(oidc_signin::STALE.into()));
    };
    let (id, password) = (account.session.user.id, form.into_inner().password);
    let confirm =
        move |st: &AppState, s: &Session, ip: Option<&str>| oidc_signin::confirm_password(st, s.user.id, &password, ip);
    if let Err(e) = account.run(&call, confirm).await {
        let errors = Errors::from_refusal(e, &["password"])?;
        return providers_page(state, &req, &account, errors, String::new()).await;
    }
    let home = state.urls.portal_home();
    let url = oidc_signin::start(state, &provider, &browser, &home, Some(id)).await?;
    continue_to(state, &provider, url)
}

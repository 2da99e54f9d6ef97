//! API keys (`/account/apikeys`): create, list, regenerate, delete. A new secret is shown once,
//! in the response to the post that made it (never in a URL or a later page).
use super::forms::{self, Errors, Pairs};
use super::layout::{self, Layout};
use super::viewer::Account;
use crate::domain::api_key::Scope;
use crate::error::AppError;
use crate::http::call::Call;
use crate::services::keys::{self, CreatedKey, KeySummary};
use crate::services::sessions::Session;
use crate::services::{blocking, permissions};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "apikeys.html")]
struct KeysPage {
    layout: Layout,
    keys: Vec<KeySummary>,
    packages: Vec<String>,
    created: Option<CreatedKey>,
    errors: Errors,
    form: KeyForm,
    action: String,
    /// Set when `[accounts] require_2fa_for_publishers` refuses new keys: where to enrol.
    enrol_url: Option<String>,
}

/// What was typed, kept when the form comes back with an error.
#[derive(Default)]
struct KeyForm {
    description: String,
    scopes: Vec<String>,
    globs: String,
    packages: Vec<String>,
    days: String,
}

impl KeyForm {
    fn typed(form: &Pairs) -> Self {
        KeyForm {
            description: form.get("description").to_owned(),
            scopes: form.all("scopes"),
            globs: form.get("globs").to_owned(),
            packages: form.all("packages"),
            days: form.get("expires_in_days").trim().to_owned(),
        }
    }

    /// The days and scopes typed, or the error to show on their field.
    fn parsed(&self) -> Result<(u32, Vec<Scope>), Errors> {
        let Ok(days) = self.days.parse::<u32>() else {
            return Err(Errors::field("expires_in_days", "Enter the number of days the key stays valid (1 to 365)."));
        };
        let scopes = Scope::parse_list(&self.scopes.join(","))
            .map_err(|e| Errors::field("scopes", AppError::bad_input(e).to_string()))?;
        Ok((days, scopes))
    }

    /// The glob patterns typed, one per comma or line.
    fn glob_list(&self) -> Vec<String> {
        self.globs.split([',', '\n']).map(str::trim).filter(|g| !g.is_empty()).map(str::to_owned).collect()
    }

    fn has_scope(&self, s: &str) -> bool {
        self.scopes.iter().any(|x| x == s)
    }
    fn has_package(&self, id: &str) -> bool {
        self.packages.iter().any(|x| x == id)
    }
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    account: &Account,
    created: Option<CreatedKey>,
    form: KeyForm,
    errors: Errors,
) -> Result<HttpResponse, AppError> {
    let (st, principal) = (state.clone(), account.session.principal.clone());
    let (keys, packages) =
        blocking(move || Ok((keys::list_manageable(&st, &principal)?, keys::selectable_packages(&st, &principal)?)))
            .await?;
    let status = if errors.any() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let form = KeyForm {
        days: if form.days.is_empty() { state.config.accounts.api_key_default_days.to_string() } else { form.days },
        scopes: if errors.any() || !form.scopes.is_empty() { form.scopes } else { vec!["push".into()] },
        ..form
    };
    let page = KeysPage {
        layout: Layout::new(state, req, "API keys"),
        keys,
        packages,
        created,
        errors,
        form,
        action: state.urls.site_path_of("/account/apikeys"),
        enrol_url: permissions::may_publish_with_session(&account.session.principal)
            .err()
            .map(|_| state.urls.site_path_of("/account/two-factor")),
    };
    layout::render_status(status, &page)
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>, account: Account) -> Result<HttpResponse, AppError> {
    render(&state, &req, &account, None, KeyForm::default(), Errors::default()).await
}

pub async fn create(
    req: HttpRequest,
    call: Call,
    account: Account,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    let state = call.state();
    account.check_csrf(state, form.get("csrf"))?;
    let typed = KeyForm::typed(&form);
    let (days, scopes) = match typed.parsed() {
        Ok(parsed) => parsed,
        Err(errors) => return render(state, &req, &account, None, typed, errors).await,
    };
    let (description, globs, package_ids) = (typed.description.clone(), typed.glob_list(), typed.packages.clone());
    let create = move |st: &AppState, s: &Session, ip: Option<&str>| {
        let request = keys::NewKeyRequest {
            user_id: s.user.id,
            session: Some(&s.principal),
            owner: None,
            description: &description,
            scopes,
            globs,
            package_ids,
            expires_in_days: days,
        };
        keys::create(st, &request, ip)
    };
    match account.run(&call, create).await {
        Ok(key) => render(state, &req, &account, Some(key), KeyForm::default(), Errors::default()).await,
        Err(e) => render(state, &req, &account, None, typed, refusal_errors(e)?).await,
    }
}

/// A refusal of the keys service as the form's errors: the services' words name the field in
/// the singular; the form's names differ.
fn refusal_errors(e: AppError) -> Result<Errors, AppError> {
    let mut errors = Errors::from_refusal(e, &["scope", "expires", "description", "glob", "package"])?;
    errors.rename(&[("scope", "scopes"), ("expires", "expires_in_days"), ("glob", "globs"), ("package", "packages")]);
    Ok(errors)
}

pub async fn regenerate(
    req: HttpRequest,
    call: Call,
    account: Account,
    path: web::Path<i64>,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    let (state, key_id) = (call.state().clone(), path.into_inner());
    let regenerate = move |st: &AppState, s: &Session, ip: Option<&str>| keys::regenerate(st, &s.principal, key_id, ip);
    let created = account.submit(&call, form.get("csrf"), regenerate).await??;
    render(&state, &req, &account, Some(created), KeyForm::default(), Errors::default()).await
}

pub async fn delete(
    call: Call,
    account: Account,
    path: web::Path<i64>,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    let (back, key_id) = (call.state().urls.site_path_of("/account/apikeys"), path.into_inner());
    account.submit(&call, form.get("csrf"), move |st, s, ip| keys::delete(st, &s.principal, key_id, ip)).await??;
    Ok(forms::see_other(&back))
}

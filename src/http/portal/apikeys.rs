//! API keys (`/account/apikeys`): create, list, regenerate, delete. A new secret is shown once,
//! in the response to the post that made it (never in a URL or a later page).
use super::forms::{self, Errors, Pairs};
use super::layout::{self, Layout};
use super::viewer::Account;
use crate::domain::api_key::Scope;
use crate::error::AppError;
use crate::http::auth::client_ip;
use crate::services::keys::{self, CreatedKey, KeySummary};
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
    let st = state.clone();
    let principal = account.session.principal.clone();
    let (keys, packages) = blocking(move || {
        let conn = st.conn()?;
        Ok((keys::list_manageable(&conn, &principal, st.clock.now())?, keys::selectable_packages(&conn, &principal)?))
    })
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
    state: web::Data<AppState>,
    account: Account,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    account.check_csrf(&state, form.get("csrf"))?;
    let typed = KeyForm {
        description: form.get("description").to_owned(),
        scopes: form.all("scopes"),
        globs: form.get("globs").to_owned(),
        packages: form.all("packages"),
        days: form.get("expires_in_days").trim().to_owned(),
    };
    let Ok(days) = typed.days.parse::<u32>() else {
        let e = Errors::field("expires_in_days", "Enter the number of days the key stays valid (1 to 365).");
        return render(&state, &req, &account, None, typed, e).await;
    };
    let scopes = match Scope::parse_list(&typed.scopes.join(",")) {
        Ok(s) => s,
        Err(e) => {
            return render(
                &state,
                &req,
                &account,
                None,
                typed,
                Errors::field("scopes", AppError::bad_input(e).to_string()),
            )
            .await
        }
    };
    let st = state.get_ref().clone();
    let (user_id, principal, ip) = (account.session.user.id, account.session.principal.clone(), client_ip(&req));
    let (description, globs, package_ids) = (
        typed.description.clone(),
        typed.globs.split([',', '\n']).map(str::trim).filter(|g| !g.is_empty()).map(str::to_owned).collect(),
        typed.packages.clone(),
    );
    let created = blocking(move || {
        let request = keys::NewKeyRequest {
            user_id,
            session: Some(&principal),
            owner: None,
            description: &description,
            scopes,
            globs,
            package_ids,
            expires_in_days: days,
        };
        keys::create(&*st.conn()?, &st.server_key, &request, ip.as_deref(), st.clock.now())
    })
    .await;
    match created {
        Ok(key) => render(&state, &req, &account, Some(key), KeyForm::default(), Errors::default()).await,
        Err(e) => {
            let fields = ["scope", "expires", "description", "glob", "package"];
            let mut errors = Errors::from_refusal(e, &fields)?;
            // The services' words name the field in the singular; the form's names differ.
            errors.rename(&[
                ("scope", "scopes"),
                ("expires", "expires_in_days"),
                ("glob", "globs"),
                ("package", "packages"),
            ]);
            render(&state, &req, &account, None, typed, errors).await
        }
    }
}

pub async fn regenerate(
    req: HttpRequest,
    state: web::Data<AppState>,
    account: Account,
    path: web::Path<i64>,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    account.check_csrf(&state, form.get("csrf"))?;
    let st = state.get_ref().clone();
    let (principal, ip, key_id) = (account.session.principal.clone(), client_ip(&req), path.into_inner());
    let created = blocking(move || {
        keys::regenerate(&*st.conn()?, &st.server_key, &principal, key_id, ip.as_deref(), st.clock.now())
    })
    .await?;
    render(&state, &req, &account, Some(created), KeyForm::default(), Errors::default()).await
}

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    account: Account,
    path: web::Path<i64>,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    account.check_csrf(&state, form.get("csrf"))?;
    let st = state.get_ref().clone();
    let (principal, ip, key_id) = (account.session.principal.clone(), client_ip(&req), path.into_inner());
    blocking(move || keys::delete(&*st.conn()?, &principal, key_id, ip.as_deref())).await?;
    Ok(forms::see_other(&state.urls.site_path_of("/account/apikeys")))
}

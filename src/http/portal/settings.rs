//! Account settings (`/account`): the profile, change password, change email (confirmed by an
//! emailed link), resend the confirmation, and the organizations the account belongs to.
use super::forms::{self, Errors, Pairs};
use super::layout::{self, Layout};
use super::viewer::Account;
use crate::error::AppError;
use crate::http::call::Call;
use crate::services::accounts::{self, Profile};
use crate::services::sessions::Session;
use crate::services::{blocking, email_links, two_factor};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    profile: Profile,
    /// Which form `errors` and `notice` belong to: "password", "email" or "".
    which: &'static str,
    errors: Errors,
    notice: String,
    typed_email: String,
    base: String,
    two_factor: bool,
}

impl SettingsPage {
    /// The error of `field` on form `form` ("" for the other form).
    fn err(&self, form: &str, field: &str) -> &str {
        if self.which == form {
            self.errors.get(field)
        } else {
            ""
        }
    }
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    account: &Account,
    which: &'static str,
    errors: Errors,
    notice: String,
    typed_email: String,
) -> Result<HttpResponse, AppError> {
    let (st, user_id) = (state.clone(), account.session.user.id);
    let (profile, two_factor) =
        blocking(move || Ok((accounts::profile(&st, user_id)?, two_factor::status(&st, user_id)?.enabled))).await?;
    let status = if errors.any() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = SettingsPage {
        layout: Layout::new(state, req, "Account settings"),
        profile,
        which,
        errors,
        notice,
        typed_email,
        base: state.urls.site_path_of("/account"),
        two_factor,
    };
    layout::render_status(status, &page)
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>, account: Account) -> Result<HttpResponse, AppError> {
    render(&state, &req, &account, "", Errors::default(), String::new(), String::new()).await
}

pub async fn change_password(
    req: HttpRequest,
    call: Call,
    account: Account,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    let state = call.state().clone();
    let (current, new) = (form.get("current_password").to_owned(), form.get("new_password").to_owned());
    let change = move |st: &AppState, s: &Session, ip: Option<&str>| {
        accounts::change_password(st, &s.principal, Some(s.id), &current, &new, ip)
    };
    match account.submit(&call, form.get("csrf"), change).await? {
        Ok(()) => {
            let notice = "Your password was changed; your other sessions were signed out.".to_owned();
            render(&state, &req, &account, "password", Errors::default(), notice, String::new()).await
        }
        Err(e) => {
            let mut errors = Errors::from_refusal(e, &["current_password", "password"])?;
            errors.rename(&[("password", "new_password")]);
            render(&state, &req, &account, "password", errors, String::new(), String::new()).await
        }
    }
}

pub async fn change_email(
    req: HttpRequest,
    call: Call,
    account: Account,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    let state = call.state().clone();
    let (email, password) = (form.get("email").trim().to_owned(), form.get("current_password").to_owned());
    let typed = email.clone();
    let change = move |st: &AppState, s: &Session, ip: Option<&str>| {
        email_links::request_email_change(st, &s.principal, &email, &password, ip)
    };
    match account.submit(&call, form.get("csrf"), change).await? {
        Ok(()) => {
            let notice = "A confirmation link was sent to the new address; the change takes effect when it is opened.";
            render(&state, &req, &account, "email", Errors::default(), notice.to_owned(), String::new()).await
        }
        Err(e) => {
            let errors = Errors::from_refusal(e, &["current_password", "email"])?;
            render(&state, &req, &account, "email", errors, String::new(), typed).await
        }
    }
}

pub async fn resend_confirmation(
    call: Call,
    account: Account,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, AppError> {
    let back = call.state().urls.site_path_of("/account");
    account.submit(&call, form.get("csrf"), |st, s, _| email_links::resend_confirmation(st, &s.principal)).await??;
    Ok(forms::see_other(&back))
}

//! The base layout every page extends (header, search box, navigation, footer) and rendering.
use super::assets;
use super::viewer::Account;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::cookie::Cookie;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

/// What `base.html` needs; every page struct has one as its `layout` field.
pub struct Layout {
    pub title: String,
    pub css: String,
    pub js: String,
    pub logo: String,
    pub home_url: String,
    pub packages_url: String,
    pub upload_url: String,
    pub sign_in_url: String,
    pub autocomplete_url: String,
    /// Text for the header's search box (the current query on the search page).
    pub q: String,
    /// Which navigation link is the current page: "packages", "upload", "signin" or "".
    pub current: &'static str,
    /// The signed-in account's name; the header then shows its menu instead of "Sign in".
    pub account: Option<String>,
    pub is_admin: bool,
    /// The session's CSRF token for the forms of the page (the header's sign-out button too).
    pub csrf: String,
    pub menu: Menu,
}

/// The signed-in user's menu.
pub struct Menu {
    pub packages: String,
    pub keys: String,
    pub account: String,
    pub admin: String,
    pub sign_out: String,
}

impl Layout {
    pub fn new(state: &AppState, req: &HttpRequest, title: impl Into<String>) -> Self {
        let urls = &state.urls;
        // The address the visitor sees, proxy prefix included, to come back to after signing in.
        let path = req.uri().path_and_query().map_or_else(|| req.path().to_owned(), ToString::to_string);
        let here = format!("{}{path}", urls.site_prefix());
        let signed_in = Account::of(req);
        Self {
            title: title.into(),
            css: urls.portal_static(assets::hashed("app.css")),
            js: urls.portal_static(assets::hashed("app.js")),
            logo: urls.portal_static(assets::hashed("logo.svg")),
            home_url: urls.portal_home(),
            packages_url: urls.portal_search(&[]),
            upload_url: urls.portal_upload(),
            sign_in_url: urls.portal_sign_in(&here),
            autocomplete_url: urls.portal_autocomplete(),
            q: String::new(),
            current: "",
            account: signed_in.as_ref().map(|a| a.session.user.username.clone()),
            is_admin: signed_in.as_ref().is_some_and(|a| a.session.user.is_admin),
            csrf: signed_in.map(|a| a.session.csrf_token).unwrap_or_default(),
            menu: Menu {
                packages: urls.site_path_of("/account/packages"),
                keys: urls.site_path_of("/account/apikeys"),
                account: urls.site_path_of("/account"),
                admin: urls.site_path_of("/admin"),
                sign_out: urls.site_path_of("/users/account/LogOff"),
            },
        }
    }

    #[must_use]
    pub fn query(mut self, q: &str) -> Self {
        q.clone_into(&mut self.q);
        self
    }

    #[must_use]
    pub fn current(mut self, nav: &'static str) -> Self {
        self.current = nav;
        self
    }
}

/// The icon shown for packages without an embedded one.
pub fn default_icon(state: &AppState) -> String {
    state.urls.portal_static(assets::hashed("package-default.svg"))
}

pub fn render(page: &impl Template) -> Result<HttpResponse, AppError> {
    render_status(StatusCode::OK, page)
}

pub fn render_status(status: StatusCode, page: &impl Template) -> Result<HttpResponse, AppError> {
    let html = page.render().map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        // Pages will differ per signed-in user; never let a shared cache keep them.
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .body(html))
}

impl Layout {
    /// This signed-out form page's layout with the pre-session CSRF token, and the cookie to set
    /// (if the browser has none yet).
    pub fn signed_out(mut self, state: &AppState, req: &HttpRequest) -> (Layout, Option<Cookie<'static>>) {
        let (csrf, cookie) = super::viewer::pre_session(state, req);
        self.csrf = csrf;
        (self, cookie)
    }
}

//! What every portal form shares: validation errors placed next to their field, redirects, and
//! the sign-in detour with a local `returnUrl`.
use crate::error::AppError;
use crate::state::AppState;
use actix_web::cookie::Cookie;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

/// A form's validation errors: one message per field, or for the whole form.
#[derive(Default)]
pub struct Errors {
    pub form: String,
    fields: Vec<(&'static str, String)>,
}

impl Errors {
    pub fn field(name: &'static str, message: impl Into<String>) -> Self {
        Errors { form: String::new(), fields: vec![(name, message.into())] }
    }

    /// The message for `name`, or "" (templates test `is_empty`).
    pub fn get(&self, name: &str) -> &str {
        self.fields.iter().find(|(n, _)| *n == name).map_or("", |(_, m)| m.as_str())
    }

    /// Moves messages from the word a service used to the form's field name.
    pub fn rename(&mut self, names: &[(&str, &'static str)]) {
        for (field, _) in &mut self.fields {
            if let Some((_, to)) = names.iter().find(|(from, _)| from == field) {
                *field = to;
            }
        }
    }

    pub fn any(&self) -> bool {
        !self.form.is_empty() || !self.fields.is_empty()
    }

    /// Turns a service's refusal into a message beside the field it is about. The services speak
    /// in sentences that name the field ("The username …", "The email address …"), so the first
    /// field named decides; others go on top of the form. Failures on our side stay errors.
    pub fn from_refusal(e: AppError, fields: &[&'static str]) -> Result<Self, AppError> {
        if matches!(e, AppError::Internal(_)) {
            return Err(e);
        }
        let message = e.client_message();
        let lower = message.to_lowercase();
        let named = fields.iter().find(|f| lower.contains(&f.replace('_', " ")));
        Ok(match named {
            Some(f) => Errors::field(f, message),
            None => Errors { form: message, fields: Vec::new() },
        })
    }
}

/// A posted form as its name/value pairs, for forms with repeated names (checkbox groups), which
/// `serde_urlencoded` cannot put in a struct.
#[derive(serde::Deserialize)]
#[serde(transparent)]
pub struct Pairs(Vec<(String, String)>);

impl Pairs {
    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.as_str())
    }

    /// Every non-empty value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(n, v)| n == name && !v.trim().is_empty()).map(|(_, v)| v.trim().to_owned()).collect()
    }
}

/// 303 See Other: after a successful post, the browser GETs the next page.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.to_owned())).finish()
}

/// A 303 that also sets (or removes) the session cookie.
pub fn see_other_with(location: &str, cookie: Cookie<'static>) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.to_owned())).cookie(cookie).finish()
}

/// The `returnUrl` query of a page that signs in (the sign-in, register and two-factor pages).
#[derive(serde::Deserialize)]
pub struct ReturnQuery {
    #[serde(rename = "returnUrl")]
    pub return_url: Option<String>,
}

/// A `returnUrl` is followed only when it stays on this site (the rule: `web_url::local_path`).
pub fn local_return(state: &AppState, return_url: Option<&str>) -> String {
    return_url.and_then(crate::domain::web_url::local_path).unwrap_or_else(|| state.urls.portal_home())
}

/// Where a signed-out visitor goes: the sign-in page, returning to this page (GET) or to the page
/// the form was posted from (its `Referer`, if on this site).
pub fn to_sign_in(req: &HttpRequest) -> HttpResponse {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return HttpResponse::Unauthorized().finish();
    };
    let prefix = state.urls.site_prefix();
    let here = req.uri().path_and_query().map_or_else(|| req.path().to_owned(), ToString::to_string);
    let back = if req.method() == actix_web::http::Method::GET {
        format!("{prefix}{here}")
    } else {
        let host = req.connection_info().host().to_owned();
        req.headers()
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .and_then(|r| r.split_once("://").map(|(_, rest)| rest.to_owned()))
            .and_then(|rest| rest.strip_prefix(&host).map(ToOwned::to_owned))
            .filter(|p| p.starts_with('/'))
            .unwrap_or_else(|| format!("{prefix}{}", req.path()))
    };
    see_other(&state.urls.portal_sign_in(&back))
}

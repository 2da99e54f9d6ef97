//! The browser portal: server-rendered HTML pages (askama templates in `web/templates/`) with
//! nuget.org's URLs, one file per area. Handlers call one service and fill a template.
pub mod admin;
pub mod apikeys;
pub mod assets;
pub mod cards;
pub mod contact;
pub mod email_links;
pub mod errors;
pub mod format;
pub mod forms;
pub mod headers;
pub mod home;
pub mod layout;
pub mod license;
pub mod manage;
pub mod oidc;
pub mod owners;
pub mod package_view;
pub mod packages;
pub mod profiles;
pub mod readme;
pub mod search;
pub mod settings;
pub mod signin;
pub mod snippets;
pub mod two_factor;
pub mod two_factor_sign_in;
pub mod upload;
pub mod upstream_package;
pub mod viewer;

use actix_web::middleware::from_fn;
use actix_web::web;

/// Every portal route, in a scope of its own so its middleware (security headers, HTML error
/// pages) touches nothing else. Mounted last: its default service answers any path nothing else
/// claimed with the HTML 404 page.
pub fn configure(cfg: &mut web::ServiceConfig) {
    assets::init();
    cfg.service(
        web::scope("")
            // Error pages are rendered inside the headers middleware, so they get the headers too.
            .wrap(from_fn(errors::html_errors))
            .wrap(from_fn(headers::security_headers))
            // Outermost: the session is known before the error pages render their header.
            .wrap(from_fn(viewer::attach))
            .route("/", web::get().to(home::home))
            .route("/static/{file}", web::get().to(assets::serve))
            .route("/packages", web::get().to(search::search))
            // Fixed paths before `/packages/{id}/{version}`, which would otherwise claim them.
            .route("/packages/manage/upload", web::get().to(upload::form))
            .route("/packages/manage/upload", web::post().to(upload::receive_upload))
            .route("/packages/manage/upload/verify", web::get().to(upload::verify))
            .route("/packages/manage/upload/submit", web::post().to(upload::submit))
            .route("/packages/manage/upload/cancel", web::post().to(upload::cancel))
            .route("/users/account/LogOn", web::get().to(signin::sign_in_form))
            .route("/users/account/LogOn", web::post().to(signin::sign_in))
            .route("/users/account/Register", web::get().to(signin::register_form))
            .route("/users/account/Register", web::post().to(signin::register))
            .route("/users/account/LogOff", web::post().to(signin::sign_out))
            .route("/users/account/TwoFactor", web::get().to(two_factor_sign_in::form))
            .route("/users/account/TwoFactor", web::post().to(two_factor_sign_in::verify))
            .route("/users/account/oidc/{provider}", web::post().to(oidc::start))
            .route("/users/account/oidc/{provider}/callback", web::get().to(oidc::callback))
            .route("/account/sign-in-providers", web::get().to(oidc::providers))
            .route("/account/sign-in-providers/{provider}", web::post().to(oidc::link))
            // Before `/packages/{id}/{version}`, which would take "owners" for a version.
            .route("/packages/{id}/owners", web::get().to(owners::page))
            .route("/packages/{id}/owners", web::post().to(owners::invite))
            .route("/packages/{id}/owners/remove", web::post().to(owners::remove))
            .route("/packages/{id}/owners/cancel", web::post().to(owners::cancel))
            .route("/packages/{id}/owners/confirm", web::get().to(owners::confirm_page))
            .route("/packages/{id}/owners/confirm", web::post().to(owners::confirm))
            .route("/packages/{id}", web::get().to(packages::latest))
            .route("/packages/{id}/{version}", web::get().to(packages::version))
            .route("/packages/{id}/{version}/License", web::get().to(packages::license))
            .route("/packages/{id}/{version}/ReportAbuse", web::get().to(contact::report_form))
            .route("/packages/{id}/{version}/ReportAbuse", web::post().to(contact::report))
            .route("/contact", web::get().to(contact::contact_form))
            .route("/contact/send", web::post().to(contact::send))
            .route("/users/account/ForgotPassword", web::get().to(email_links::forgot_form))
            .route("/users/account/ForgotPassword", web::post().to(email_links::forgot))
            .route("/account/reset-password", web::get().to(email_links::reset_form))
            .route("/account/reset-password", web::post().to(email_links::reset))
            .route("/account/confirm-email", web::get().to(email_links::confirm_form))
            .route("/account/confirm-email", web::post().to(email_links::confirm))
            .route("/admin", web::get().to(admin::page))
            // The emailed "new support request" link (`UrlGenerator::admin_support`).
            .route("/admin/support", web::get().to(admin::page))
            .route("/admin/users/{username}", web::post().to(admin::update_user))
            .route("/admin/support/{request}", web::post().to(admin::support_action))
            .route("/account", web::get().to(settings::page))
            .route("/account/password", web::post().to(settings::change_password))
            .route("/account/email", web::post().to(settings::change_email))
            .route("/account/confirm-email/resend", web::post().to(settings::resend_confirmation))
            .route("/account/two-factor", web::get().to(two_factor::page))
            .route("/account/two-factor/confirm", web::post().to(two_factor::confirm))
            .route("/account/two-factor/disable", web::post().to(two_factor::disable))
            .route("/account/apikeys", web::get().to(apikeys::list))
            .route("/account/apikeys", web::post().to(apikeys::create))
            .route("/account/apikeys/{key}/regenerate", web::post().to(apikeys::regenerate))
            .route("/account/apikeys/{key}/delete", web::post().to(apikeys::delete))
            .route("/account/packages", web::get().to(manage::page))
            .route("/account/packages/{id}/invitation", web::post().to(manage::answer))
            .route("/account/packages/{id}/{version}/listed", web::post().to(manage::set_listed))
            .route("/account/packages/{id}/{version}/deprecation", web::post().to(manage::deprecate))
            .route("/profiles/{name}", web::get().to(profiles::profile))
            .default_service(web::to(errors::not_found)),
    );
}

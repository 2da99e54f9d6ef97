//! The browser portal: server-rendered HTML pages (askama templates in `web/templates/`) with
//! nuget.org's URLs, one file per area. Handlers call one service and fill a template.
pub mod assets;
pub mod cards;
pub mod errors;
pub mod format;
pub mod headers;
pub mod home;
pub mod layout;
pub mod license;
pub mod package_view;
pub mod packages;
pub mod pending;
pub mod profiles;
pub mod readme;
pub mod search;
pub mod snippets;

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
            .route("/", web::get().to(home::home))
            .route("/static/{file}", web::get().to(assets::serve))
            .route("/packages", web::get().to(search::search))
            // Fixed paths before `/packages/{id}/{version}`, which would otherwise claim them.
            .route("/packages/manage/upload", web::get().to(pending::upload))
            .route("/users/account/LogOn", web::get().to(pending::sign_in))
            .route("/packages/{id}", web::get().to(packages::latest))
            .route("/packages/{id}/{version}", web::get().to(packages::version))
            .route("/packages/{id}/{version}/License", web::get().to(packages::license))
            .route("/packages/{id}/{version}/ReportAbuse", web::get().to(packages::report_abuse))
            .route("/profiles/{name}", web::get().to(profiles::profile))
            .default_service(web::to(errors::not_found)),
    );
}

//! NuGet v3 endpoints: service index, flat container, registration hives, search, autocomplete.
pub mod flat_container;
pub mod registration;
pub mod search;
pub mod service_index;
pub mod vulnerabilities;

use actix_web::web;

pub fn scope() -> actix_web::Scope {
    web::scope("/v3")
        .route("/index.json", web::get().to(service_index::index))
        .route("/flatcontainer/{id}/index.json", web::get().to(flat_container::versions))
        .route("/flatcontainer/{id}/{version}/{file}", web::get().to(flat_container::file))
        .route("/flatcontainer/{id}/{version}/{file}", web::head().to(flat_container::file))
        .route("/query", web::get().to(search::query))
        .route("/autocomplete", web::get().to(search::autocomplete))
        .route("/vulnerabilities/index.json", web::get().to(vulnerabilities::index))
        .route("/vulnerabilities/{page}", web::get().to(vulnerabilities::page))
        .route("/{hive}/{id}/index.json", web::get().to(registration::index))
        .route("/{hive}/{id}/page/{lower}/{upper}.json", web::get().to(registration::page))
        .route("/{hive}/{id}/{leaf}", web::get().to(registration::leaf))
}

//! The front page: what this server is and how to point clients at it, until the portal lands.
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "web/static/"]
struct Static;

pub async fn home(state: web::Data<AppState>) -> HttpResponse {
    let template = Static::get("home.html").map(|f| String::from_utf8_lossy(&f.data).into_owned()).unwrap_or_default();
    let page = template
        .replace("{{service_index}}", &html_escape(&state.urls.service_index()))
        .replace("{{v2_root}}", &html_escape(&state.urls.v2_root()))
        .replace("{{publish}}", &html_escape(&state.urls.publish()));
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(page)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

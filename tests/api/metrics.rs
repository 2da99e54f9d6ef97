//! `GET /metrics`: off by default, then guarded by its bearer token when one is set. (The scrape
//! of a running binary, parsed by Prometheus's own parser, is `tests/ops/metrics_scrape.py`.)
use crate::helpers::{spawn_app, spawn_app_with, status_text};

#[test]
fn metrics_are_off_unless_enabled() {
    let app = spawn_app();
    let (status, text) = status_text(app.get("/metrics"));
    assert_eq!((status, text.as_str()), (404, "Metrics are off; set [metrics] enabled = true to serve them."));
}

#[test]
fn a_set_token_is_required_as_a_bearer_token() {
    let app = spawn_app_with(|c| {
        c.metrics.enabled = true;
        c.metrics.token = "s3cret-scrape".into();
    });
    let refused = "This scrape needs the header 'Authorization: Bearer <[metrics] token>'.";
    for header in [None, Some("Bearer wrong"), Some("Bearer s3cret-scrape-longer"), Some("Basic czNjcmV0LXNjcmFwZQ==")]
    {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(value) = header {
            request = request.header("Authorization", value);
        }
        let r = request.send().unwrap();
        assert_eq!(r.headers()["www-authenticate"], "Bearer", "{header:?}");
        let (status, text) = status_text(r);
        assert_eq!((status, text.as_str()), (401, refused), "{header:?}");
    }
    let r = app.client.get(app.url("/metrics")).header("Authorization", "Bearer s3cret-scrape").send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    let text = r.text().unwrap();
    for name in ["galley_build_info", "galley_http_requests_total", "galley_disk_free_bytes", "galley_cache_hits_total"]
    {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
}

#[test]
fn without_a_token_the_scrape_is_open_even_on_a_private_feed() {
    let app = spawn_app_with(|c| {
        c.metrics.enabled = true;
        c.feed.require_auth = true;
    });
    assert_eq!(app.get("/metrics").status(), 200);
}

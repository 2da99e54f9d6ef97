//! The extractors answer junk exactly as the feeds did (404, the feeds' message) and fold case once.
use super::*;
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use actix_web::ResponseError;

const MISSING: &str = "The requested resource does not exist.";

fn id_path(id: &str) -> Result<IdPath, AppError> {
    let (req, mut payload) = TestRequest::default().param("id", id.to_owned()).to_http_parts();
    IdPath::from_request(&req, &mut payload).into_inner()
}

fn id_version_path(id: &str, version: &str) -> Result<IdVersionPath, AppError> {
    let (req, mut payload) =
        TestRequest::default().param("id", id.to_owned()).param("version", version.to_owned()).to_http_parts();
    IdVersionPath::from_request(&req, &mut payload).into_inner()
}

fn assert_missing(error: &AppError) {
    assert_eq!(error.status_code(), StatusCode::NOT_FOUND);
    assert_eq!(error.client_message(), MISSING);
}

#[test]
fn folds_the_id_once_and_keeps_its_spelling() {
    let path = id_path("Newtonsoft.JSON").unwrap();
    assert_eq!(path.id.as_str(), "Newtonsoft.JSON");
    assert_eq!(path.id_lower, "newtonsoft.json");
}

#[test]
fn folds_and_normalizes_the_version() {
    let path = id_version_path("My.Pkg", "1.0-BETA.1+Build.7").unwrap();
    assert_eq!((path.id.as_str(), path.id_lower.as_str()), ("My.Pkg", "my.pkg"));
    assert_eq!(path.version.original(), "1.0-BETA.1+Build.7");
    assert_eq!(path.version_lower, "1.0.0-beta.1");
    assert_eq!(id_version_path("a", "1.0.0.0").unwrap().version_lower, "1.0.0");
    assert_eq!(id_version_path("a", "1.2.3.4").unwrap().version_lower, "1.2.3.4");
}

#[test]
fn a_bad_id_is_the_feeds_404() {
    let long = "a".repeat(101);
    for id in ["", "a b", "a..b", ".a", "a/b", "über", "<script>", long.as_str()] {
        assert_missing(&id_path(id).unwrap_err());
        assert_missing(&id_version_path(id, "1.0.0").unwrap_err());
    }
}

#[test]
fn a_bad_version_is_the_feeds_404() {
    for version in ["", "x", "1.0.0-", "1..0", "1.0.0.0.0", "1.0.0-be$ta", "-1.0"] {
        assert_missing(&id_version_path("Good.Id", version).unwrap_err());
    }
}

#[test]
fn a_missing_segment_is_the_feeds_404() {
    let (req, mut payload) = TestRequest::default().to_http_parts();
    assert_missing(&IdPath::from_request(&req, &mut payload).into_inner().unwrap_err());
    assert_missing(&IdVersionPath::from_request(&req, &mut payload).into_inner().unwrap_err());
}

#[test]
fn decodes_what_the_router_leaves_encoded() {
    // `+`, `/` and `%` reach a handler still encoded; `web::Path` decoded them, and so do we.
    let path = id_version_path("Acme%2ECore", "1.0.0-Beta%2Bbuild.7").unwrap();
    assert_eq!((path.id.as_str(), path.id_lower.as_str()), ("Acme.Core", "acme.core"));
    assert_eq!((path.version.original(), path.version_lower.as_str()), ("1.0.0-Beta+build.7", "1.0.0-beta"));
    assert_missing(&id_path("a%2Fb").unwrap_err());
    assert_missing(&id_path("a%25b").unwrap_err());
    assert_missing(&id_version_path("a", "1.0.0%zz").unwrap_err());
}

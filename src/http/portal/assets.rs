//! CSS, JS and images from `web/static/`, embedded in the binary and served under content-hashed
//! names (`app.3f9a1c2b.css`) with immutable caching: a new build changes the name, so browsers
//! never hold a stale file and never revalidate a current one.
use crate::error::AppError;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

pub const ASSET_CACHE: &str = "public, max-age=31536000, immutable";

#[derive(RustEmbed)]
#[folder = "web/static/"]
struct Embedded;

struct Asset {
    bytes: Cow<'static, [u8]>,
    mime: String,
}

pub struct AssetTable {
    /// Hashed name → file.
    files: HashMap<String, Asset>,
    /// Plain name (`app.css`) → hashed name.
    names: HashMap<String, String>,
}

static TABLE: LazyLock<AssetTable> = LazyLock::new(AssetTable::build);

impl AssetTable {
    fn build() -> Self {
        let mut files = HashMap::new();
        let mut names = HashMap::new();
        for name in Embedded::iter() {
            let Some(file) = Embedded::get(&name) else { continue };
            let hashed = hashed_name(&name, &file.data);
            let mime = mime_guess::from_path(name.as_ref()).first_or_octet_stream();
            // Text types say their charset, so the browser never guesses.
            let mime = if mime.type_() == "text" || mime.subtype() == "javascript" || mime.subtype() == "svg" {
                format!("{mime}; charset=utf-8")
            } else {
                mime.to_string()
            };
            names.insert(name.to_string(), hashed.clone());
            files.insert(hashed, Asset { bytes: file.data, mime });
        }
        Self { files, names }
    }
}

/// Hashes every embedded file now, so the first page request does not pay for it.
pub fn init() {
    LazyLock::force(&TABLE);
}

/// `app.css` → `app.3f9a1c2b.css`: the first 8 hex digits of the SHA-256 before the extension.
fn hashed_name(name: &str, bytes: &[u8]) -> String {
    let digest = hex::encode(Sha256::digest(bytes));
    let short = &digest[..8];
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{short}.{ext}"),
        None => format!("{name}.{short}"),
    }
}

/// The hashed file name of an embedded asset. Templates name assets as literals; a unit test
/// checks that each one exists.
pub fn hashed(name: &str) -> &'static str {
    TABLE.names.get(name).map_or("missing-asset", String::as_str)
}

/// `GET /static/{file}`: only current hashed names exist; an old or made-up hash is a 404.
pub async fn serve(file: web::Path<String>) -> Result<HttpResponse, AppError> {
    let asset = TABLE.files.get(file.as_str()).ok_or_else(|| AppError::NotFound("There is no such file.".into()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, asset.mime.as_str()))
        .insert_header((header::CACHE_CONTROL, ASSET_CACHE))
        .body(asset.bytes.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_the_templates_name_is_embedded() {
        for name in ["app.css", "app.js", "logo.svg", "package-default.svg"] {
            let hashed = hashed(name);
            assert_ne!(hashed, "missing-asset", "{name}");
            assert!(TABLE.files.contains_key(hashed));
        }
    }

    #[test]
    fn hash_goes_before_the_extension() {
        assert_eq!(hashed_name("app.css", b""), "app.e3b0c442.css");
        assert_eq!(hashed_name("LICENSE", b""), "LICENSE.e3b0c442");
    }
}

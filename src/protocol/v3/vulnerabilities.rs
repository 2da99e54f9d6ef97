//! The vulnerability index restore audits read (`VulnerabilityInfo/6.7.0`).
use crate::protocol::urls::UrlGenerator;
use serde::Serialize;

/// One entry of the vulnerability index (`VulnerabilityInfo/6.7.0`).
#[derive(Serialize)]
pub struct VulnerabilityIndexEntry {
    #[serde(rename = "@name")]
    pub name: &'static str,
    #[serde(rename = "@id")]
    pub id: String,
    #[serde(rename = "@updated")]
    pub updated: String,
    pub comment: &'static str,
}

/// The vulnerability index: every advisory in the `base` page and an empty `update` page, the
/// two pages nuget.org serves (the data is small; one page changing is no burden to clients).
pub fn vulnerability_index(urls: &UrlGenerator, updated: &str) -> Vec<VulnerabilityIndexEntry> {
    vec![
        VulnerabilityIndexEntry {
            name: "base",
            id: urls.vulnerability_page("base"),
            updated: updated.to_owned(),
            comment: "Every known vulnerability",
        },
        VulnerabilityIndexEntry {
            name: "update",
            id: urls.vulnerability_page("update"),
            updated: updated.to_owned(),
            comment: "Changes since the base page (kept empty: the base page is always current)",
        },
    ]
}

//! The service index (`/v3/index.json`): the resources a client discovers every other URL from.
use crate::protocol::urls::{Hive, UrlGenerator};
use serde::Serialize;

#[derive(Serialize)]
pub struct ServiceIndex {
    pub version: &'static str,
    pub resources: Vec<Resource>,
}

#[derive(Serialize)]
pub struct Resource {
    #[serde(rename = "@id")]
    pub id: String,
    #[serde(rename = "@type")]
    pub kind: String,
    pub comment: &'static str,
}

pub fn service_index(urls: &UrlGenerator) -> ServiceIndex {
    let mut resources = Vec::new();
    let mut add = |id: String, types: &[&str], comment: &'static str| {
        for t in types {
            resources.push(Resource { id: id.clone(), kind: (*t).to_owned(), comment });
        }
    };
    add(urls.flat_container(), &["PackageBaseAddress/3.0.0"], "Base URL of where NuGet packages are stored, in the format {@id}{id-lower}/{version-lower}/{id-lower}.{version-lower}.nupkg");
    add(urls.publish(), &["PackagePublish/2.0.0"], "Push, delete (unlist) and relist packages");
    add(urls.symbol_publish(), &["SymbolPackagePublish/4.9.0"], "Push symbol packages (.snupkg)");
    add(
        urls.search(),
        &[
            "SearchQueryService",
            "SearchQueryService/3.0.0-beta",
            "SearchQueryService/3.0.0-rc",
            "SearchQueryService/3.5.0",
        ],
        "Query endpoint of the search service",
    );
    add(
        urls.autocomplete(),
        &[
            "SearchAutocompleteService",
            "SearchAutocompleteService/3.0.0-beta",
            "SearchAutocompleteService/3.0.0-rc",
            "SearchAutocompleteService/3.5.0",
        ],
        "Autocomplete endpoint of the search service",
    );
    add(
        urls.registration_base(Hive::Legacy),
        &["RegistrationsBaseUrl", "RegistrationsBaseUrl/3.0.0-beta", "RegistrationsBaseUrl/3.0.0-rc"],
        "Base URL of package registration metadata (SemVer 1.0.0 versions only)",
    );
    add(
        urls.registration_base(Hive::Gzip),
        &["RegistrationsBaseUrl/3.4.0"],
        "Base URL of gzip-encoded registration metadata (SemVer 1.0.0 versions only)",
    );
    add(
        urls.registration_base(Hive::GzipSemVer2),
        &["RegistrationsBaseUrl/3.6.0", "RegistrationsBaseUrl/Versioned"],
        "Base URL of gzip-encoded registration metadata including SemVer 2.0.0 versions",
    );
    add(
        urls.package_details_template(),
        &["PackageDetailsUriTemplate/5.1.0"],
        "URI template for the package details page",
    );
    add(urls.readme_template(), &["ReadmeUriTemplate/6.13.0"], "URI template for a package's README");
    add(
        urls.report_abuse_template(),
        &["ReportAbuseUriTemplate/3.0.0-beta", "ReportAbuseUriTemplate/3.0.0-rc"],
        "URI template for reporting a package",
    );
    add(urls.v2_root(), &["LegacyGallery", "LegacyGallery/2.0.0"], "The v2 (OData) feed");
    add(
        urls.vulnerability_index(),
        &["VulnerabilityInfo/6.7.0"],
        "The index of the files of known vulnerabilities, which restore audits read",
    );
    ServiceIndex { version: "3.0.0", resources }
}

//! The one place every public URL is built, from the configured base URL (which may carry the
//! path prefix of a reverse proxy).

/// A registration hive: which versions it holds and how it is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hive {
    /// `RegistrationsBaseUrl`, /3.0.0-beta, /3.0.0-rc: plain JSON, no SemVer 2.0 versions.
    Legacy,
    /// RegistrationsBaseUrl/3.4.0: gzip, no SemVer 2.0 versions.
    Gzip,
    /// RegistrationsBaseUrl/3.6.0: gzip, with SemVer 2.0 versions.
    GzipSemVer2,
}

impl Hive {
    pub const ALL: [Hive; 3] = [Hive::Legacy, Hive::Gzip, Hive::GzipSemVer2];

    pub fn path(self) -> &'static str {
        match self {
            Hive::Legacy => "registration",
            Hive::Gzip => "registration-gz",
            Hive::GzipSemVer2 => "registration-gz-semver2",
        }
    }

    pub fn from_path(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|h| h.path() == s)
    }

    pub fn includes_semver2(self) -> bool {
        self == Hive::GzipSemVer2
    }

    pub fn gzipped(self) -> bool {
        self != Hive::Legacy
    }
}

#[derive(Debug, Clone)]
pub struct UrlGenerator {
    base: String,
}

impl UrlGenerator {
    /// `base` without a trailing slash, e.g. `https://example.org/nuget`.
    pub fn new(base: &str) -> Self {
        Self { base: base.trim_end_matches('/').to_owned() }
    }

    pub fn base(&self) -> &str {
        &self.base
    }
    pub fn service_index(&self) -> String {
        format!("{}/v3/index.json", self.base)
    }
    pub fn publish(&self) -> String {
        format!("{}/api/v2/package", self.base)
    }
    /// `SymbolPackagePublish/4.9.0`: where nuget.exe pushes a `.snupkg`.
    pub fn symbol_publish(&self) -> String {
        format!("{}/api/v2/symbolpackage", self.base)
    }
    /// A version's `.snupkg`.
    pub fn symbol_package(&self, id: &str, version: &str) -> String {
        format!("{}/api/v2/symbolpackage/{id}/{version}", self.base)
    }
    /// The symbol server (SSQP) to add in Visual Studio or pass to `dotnet-symbol`.
    pub fn symbol_server(&self) -> String {
        format!("{}/symbols", self.base)
    }
    pub fn v2_root(&self) -> String {
        format!("{}/api/v2/", self.base)
    }
    pub fn flat_container(&self) -> String {
        format!("{}/v3/flatcontainer/", self.base)
    }
    pub fn flat_index(&self, id_lower: &str) -> String {
        format!("{}/v3/flatcontainer/{id_lower}/index.json", self.base)
    }
    pub fn package_content(&self, id_lower: &str, version_lower: &str) -> String {
        format!("{}/v3/flatcontainer/{id_lower}/{version_lower}/{id_lower}.{version_lower}.nupkg", self.base)
    }
    pub fn readme(&self, id_lower: &str, version_lower: &str) -> String {
        format!("{}/v3/flatcontainer/{id_lower}/{version_lower}/readme", self.base)
    }
    pub fn icon(&self, id_lower: &str, version_lower: &str) -> String {
        format!("{}/v3/flatcontainer/{id_lower}/{version_lower}/icon", self.base)
    }
    pub fn registration_base(&self, hive: Hive) -> String {
        format!("{}/v3/{}/", self.base, hive.path())
    }
    pub fn registration_index(&self, hive: Hive, id_lower: &str) -> String {
        format!("{}/v3/{}/{id_lower}/index.json", self.base, hive.path())
    }
    pub fn registration_page(&self, hive: Hive, id_lower: &str, lower: &str, upper: &str) -> String {
        format!("{}/v3/{}/{id_lower}/page/{lower}/{upper}.json", self.base, hive.path())
    }
    pub fn registration_leaf(&self, hive: Hive, id_lower: &str, version_lower: &str) -> String {
        format!("{}/v3/{}/{id_lower}/{version_lower}.json", self.base, hive.path())
    }
    pub fn search(&self) -> String {
        format!("{}/v3/query", self.base)
    }
    pub fn autocomplete(&self) -> String {
        format!("{}/v3/autocomplete", self.base)
    }
    pub fn package_details_template(&self) -> String {
        format!("{}/packages/{{id}}/{{version}}", self.base)
    }
    pub fn package_details(&self, id: &str, version: &str) -> String {
        format!("{}/packages/{id}/{version}", self.base)
    }
    /// `VulnerabilityInfo/6.7.0`: the index of the vulnerability pages.
    pub fn vulnerability_index(&self) -> String {
        format!("{}/v3/vulnerabilities/index.json", self.base)
    }
    pub fn vulnerability_page(&self, name: &str) -> String {
        format!("{}/v3/vulnerabilities/{name}.json", self.base)
    }
    pub fn readme_template(&self) -> String {
        format!("{}/v3/flatcontainer/{{lower_id}}/{{lower_version}}/readme", self.base)
    }
    pub fn report_abuse_template(&self) -> String {
        format!("{}/packages/{{id}}/{{version}}/ReportAbuse", self.base)
    }
    pub fn v2_download(&self, id: &str, version: &str) -> String {
        format!("{}/api/v2/package/{id}/{version}", self.base)
    }
    /// A v2 (OData) resource: `Packages`, `Search()`…, with an optional query string.
    pub fn v2_resource(&self, path: &str, query: &str) -> String {
        if query.is_empty() {
            format!("{}/api/v2/{path}", self.base)
        } else {
            format!("{}/api/v2/{path}?{query}", self.base)
        }
    }
    /// The canonical URL of one v2 entry; OData doubles quotes inside the key literals.
    pub fn v2_entry(&self, id: &str, version: &str) -> String {
        format!(
            "{}/api/v2/Packages(Id='{}',Version='{}')",
            self.base,
            id.replace('\'', "''"),
            version.replace('\'', "''")
        )
    }
    pub fn report_abuse(&self, id: &str, version: &str) -> String {
        format!("{}/packages/{id}/{version}/ReportAbuse", self.base)
    }
    /// Emailed links carry a single-use token; the portal serves the pages they open.
    pub fn confirm_email(&self, token: &str) -> String {
        format!("{}/account/confirm-email?token={token}", self.base)
    }
    /// Absolute, for mail: where a forgotten password is reset.
    pub fn forgot_password(&self) -> String {
        format!("{}/users/account/ForgotPassword", self.base)
    }
    pub fn reset_password(&self, token: &str) -> String {
        format!("{}/account/reset-password?token={token}", self.base)
    }
    pub fn owner_invitation(&self, id: &str, token: &str) -> String {
        format!("{}/packages/{id}/owners/confirm?token={token}", self.base)
    }
    pub fn admin_support(&self) -> String {
        format!("{}/admin/support", self.base)
    }
    /// True when the public URL is https: session cookies are then marked `Secure`.
    pub fn is_https(&self) -> bool {
        self.base.starts_with("https://")
    }
    /// The path part of the base URL (`/feed` behind a proxy prefix, or `/`), for cookie paths.
    pub fn base_path(&self) -> &str {
        let after_scheme = self.base.split_once("://").map_or(self.base.as_str(), |(_, rest)| rest);
        match after_scheme.find('/') {
            Some(i) => &after_scheme[i..],
            None => "/",
        }
    }
}

/// Portal pages. Links inside the portal are root-relative (`/nuget/packages/X`): pages keep
/// working when the server is reached under another host name than `base_url` (a LAN name, a port
/// forward), as long as the proxy path prefix is the same. URLs follow nuget.org's.
impl UrlGenerator {
    /// The path of the base URL without a trailing slash: "" at the root, "/nuget" behind a prefix.
    pub fn site_prefix(&self) -> &str {
        let after_scheme = self.base.split_once("://").map_or(self.base.as_str(), |(_, rest)| rest);
        after_scheme.find('/').map_or("", |i| &after_scheme[i..])
    }
    /// The root-relative form of a URL this generator built (icons, package files).
    pub fn site_path(&self, absolute: &str) -> String {
        match absolute.strip_prefix(&self.base) {
            Some(rest) if rest.starts_with('/') => format!("{}{rest}", self.site_prefix()),
            _ => absolute.to_owned(),
        }
    }
    /// A portal path (`/account/apikeys`) under the proxy prefix.
    pub fn site_path_of(&self, path: &str) -> String {
        format!("{}{path}", self.site_prefix())
    }
    pub fn portal_home(&self) -> String {
        format!("{}/", self.site_prefix())
    }
    /// `/packages?q=…`; pass only the parameters that differ from their defaults.
    pub fn portal_search(&self, query: &[(&str, &str)]) -> String {
        let pairs: Vec<String> = query.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        if pairs.is_empty() {
            format!("{}/packages", self.site_prefix())
        } else {
            format!("{}/packages?{}", self.site_prefix(), pairs.join("&"))
        }
    }
    pub fn portal_package(&self, id: &str) -> String {
        format!("{}/packages/{}", self.site_prefix(), encode(id))
    }
    pub fn portal_package_version(&self, id: &str, version: &str) -> String {
        format!("{}/packages/{}/{}", self.site_prefix(), encode(id), encode(version))
    }
    /// The page showing a version's embedded license file.
    pub fn portal_license(&self, id: &str, version: &str) -> String {
        format!("{}/License", self.portal_package_version(id, version))
    }
    pub fn portal_report_abuse(&self, id: &str, version: &str) -> String {
        format!("{}/ReportAbuse", self.portal_package_version(id, version))
    }
    pub fn portal_profile(&self, username: &str) -> String {
        format!("{}/profiles/{}", self.site_prefix(), encode(username))
    }
    pub fn portal_upload(&self) -> String {
        format!("{}/packages/manage/upload", self.site_prefix())
    }
    pub fn portal_register(&self, return_url: &str) -> String {
        format!("{}/users/account/Register?returnUrl={}", self.site_prefix(), encode(return_url))
    }
    /// The sign-in page itself, as a refusal names it (no `returnUrl`: a refusal echoes nothing
    /// of the request).
    pub fn portal_sign_in_page(&self) -> String {
        format!("{}/users/account/LogOn", self.site_prefix())
    }
    pub fn portal_sign_in(&self, return_url: &str) -> String {
        format!("{}/users/account/LogOn?returnUrl={}", self.site_prefix(), encode(return_url))
    }
    /// Starts a sign-in with an `[[oidc]]` provider (a form posts here).
    pub fn portal_oidc_start(&self, provider: &str) -> String {
        format!("{}/users/account/oidc/{}", self.site_prefix(), encode(provider))
    }
    /// The redirect URI registered with an `[[oidc]]` provider: absolute, from the public base URL.
    pub fn oidc_callback(&self, provider: &str) -> String {
        format!("{}/users/account/oidc/{}/callback", self.base, encode(provider))
    }
    /// Links an `[[oidc]]` provider to the signed-in account.
    pub fn portal_oidc_accounts(&self) -> String {
        format!("{}/account/sign-in-providers", self.site_prefix())
    }
    /// An embedded static file by its content-hashed name (`app.3f9a1c2b.css`).
    pub fn portal_static(&self, hashed_name: &str) -> String {
        format!("{}/static/{hashed_name}", self.site_prefix())
    }
    /// The autocomplete resource as the portal's script calls it (same origin).
    pub fn portal_autocomplete(&self) -> String {
        format!("{}/v3/autocomplete", self.site_prefix())
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters: safe in a path segment and in
/// a query component alike.
fn encode(s: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portal_links_are_root_relative_with_the_proxy_prefix() {
        let u = UrlGenerator::new("https://example.org/nuget/");
        assert_eq!(u.site_prefix(), "/nuget");
        assert_eq!(u.portal_home(), "/nuget/");
        assert_eq!(u.portal_package_version("Acme.Core", "1.0.0-beta"), "/nuget/packages/Acme.Core/1.0.0-beta");
        assert_eq!(
            u.portal_search(&[("q", "Tags:\"c# web\""), ("page", "2")]),
            "/nuget/packages?q=Tags%3A%22c%23%20web%22&page=2"
        );
        assert_eq!(u.site_path(&u.icon("a", "1.0.0")), "/nuget/v3/flatcontainer/a/1.0.0/icon");
        assert_eq!(u.site_path("https://elsewhere.example/x.png"), "https://elsewhere.example/x.png");
        let root = UrlGenerator::new("http://127.0.0.1:5000");
        assert_eq!(root.site_prefix(), "");
        assert_eq!(root.portal_home(), "/");
        assert_eq!(root.portal_sign_in("/packages/A"), "/users/account/LogOn?returnUrl=%2Fpackages%2FA");
    }

    #[test]
    fn urls_keep_the_proxy_prefix() {
        let u = UrlGenerator::new("https://example.org/nuget/");
        assert_eq!(u.service_index(), "https://example.org/nuget/v3/index.json");
        assert_eq!(
            u.package_content("a.b", "1.0.0"),
            "https://example.org/nuget/v3/flatcontainer/a.b/1.0.0/a.b.1.0.0.nupkg"
        );
        assert_eq!(
            u.registration_index(Hive::GzipSemVer2, "a"),
            "https://example.org/nuget/v3/registration-gz-semver2/a/index.json"
        );
        assert_eq!(
            u.owner_invitation("Acme.Core", "t"),
            "https://example.org/nuget/packages/Acme.Core/owners/confirm?token=t"
        );
        assert_eq!(u.base_path(), "/nuget");
        assert!(u.is_https());
        assert_eq!(UrlGenerator::new("http://127.0.0.1:5000").base_path(), "/");
    }

    #[test]
    fn v2_urls() {
        let u = UrlGenerator::new("https://example.org/nuget/");
        assert_eq!(u.v2_entry("A.B", "1.0.0"), "https://example.org/nuget/api/v2/Packages(Id='A.B',Version='1.0.0')");
        assert_eq!(u.v2_resource("Search()", "$skip=30"), "https://example.org/nuget/api/v2/Search()?$skip=30");
        assert_eq!(u.v2_resource("Packages", ""), "https://example.org/nuget/api/v2/Packages");
    }
}

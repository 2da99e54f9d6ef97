//! Package pages: metadata, install snippets, dependencies, versions, README sanitization,
//! unlisted versions, the index check, license and report pages.
use super::{assert_contains, assert_lacks, html, push_ok, sql};
use crate::helpers::{nupkg, nupkg_extra, nupkg_named, nuspec, spawn_app};

const ACME_CORE: &str = r#"<title>Acme Core Library</title>
    <tags>json web</tags>
    <license type="expression">MIT OR Apache-2.0</license>
    <projectUrl>https://example.org/acme</projectUrl>
    <repository type="git" url="https://git.example.org/acme/core.git" />
    <dependencies>
      <group targetFramework="net6.0"><dependency id="Acme.Util" version="1.0.0" /></group>
      <group targetFramework="netstandard2.0"><dependency id="Acme.Util" version="[1.0.0, 2.0.0)" /><dependency id="Other.Lib" version="[3.1.0]" /></group>
    </dependencies>"#;

#[test]
fn package_page_shows_metadata_install_snippets_dependencies_and_versions() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    push_ok(&app, &key, &nupkg_extra("Acme.Core", "1.0.0", ACME_CORE));
    push_ok(&app, &key, &nupkg_extra("Acme.Core", "2.0.0-beta.1", ACME_CORE));
    let hash = app.text("SELECT hash_sha512 FROM package_versions WHERE version_lower = '1.0.0'");

    // The id page shows the latest stable version and points at the newer prerelease.
    let body = html(&app, "/packages/Acme.Core");
    assert_contains(
        &body,
        &[
            "<title>Acme.Core 1.0.0 · Galley</title>",
            r#"<span class="package-id">Acme.Core</span> <span class="version">1.0.0</span>"#,
            r#"<p class="package-title">Acme Core Library</p>"#,
            r#"There is a newer prerelease version of this package available. <a href="/packages/Acme.Core/2.0.0-beta.1">"#,
            // Install snippets, escaped for HTML.
            r#"<code id="snippet-dotnet-cli">dotnet add package Acme.Core --version 1.0.0</code>"#,
            r#"<code id="snippet-package-manager">NuGet\Install-Package Acme.Core -Version 1.0.0</code>"#,
            r#"<code id="snippet-package-reference">&#60;PackageReference Include=&#34;Acme.Core&#34; Version=&#34;1.0.0&#34; /&#62;</code>"#,
            r#"<code id="snippet-paket">paket add Acme.Core --version 1.0.0</code>"#,
            r#"<code id="snippet-script">#r &#34;nuget: Acme.Core, 1.0.0&#34;</code>"#,
            "#addin nuget:?package=Acme.Core&#38;version=1.0.0",
            "#tool nuget:?package=Acme.Core&#38;version=1.0.0",
            r#"data-copy="snippet-dotnet-cli""#,
            // Dependencies per framework, linked, with nuget.org's range text.
            r#"<h3 class="framework">net6.0</h3>"#,
            r#"<li><a href="/packages/Acme.Util">Acme.Util</a> <span class="range">(&#62;= 1.0.0)</span></li>"#,
            r#"<h3 class="framework">netstandard2.0</h3>"#,
            r#"<span class="range">(&#62;= 1.0.0 &#38;&#38; &#60; 2.0.0)</span>"#,
            r#"<a href="/packages/Other.Lib">Other.Lib</a> <span class="range">(= 3.1.0)</span>"#,
            // Version history, newest first, the shown one marked.
            r#"<a href="/packages/Acme.Core/2.0.0-beta.1">2.0.0-beta.1</a>"#,
            r#"<a href="/packages/Acme.Core/1.0.0" aria-current="page">1.0.0</a>"#,
            // Side bar.
            r#"<a href="https://spdx.org/licenses/MIT.html" rel="nofollow noopener">MIT</a> OR <a href="https://spdx.org/licenses/Apache-2.0.html" rel="nofollow noopener">Apache-2.0</a>"#,
            r#"<a href="https://example.org/acme" rel="nofollow noopener">Project website</a>"#,
            r#"<a href="https://git.example.org/acme/core.git" rel="nofollow noopener">Source repository</a>"#,
            r#"<a href="/v3/flatcontainer/acme.core/1.0.0/acme.core.1.0.0.nupkg" download>Download package</a>"#,
            r#"<a href="/packages/Acme.Core/1.0.0/ReportAbuse">Report package</a>"#,
            r#"<ul class="owners"><li><a href="/profiles/alice">alice</a></li></ul>"#,
            r#"<li><a href="/packages?q=Tags%3A%22json%22">json</a></li>"#,
            &format!(r#"<code id="package-hash">{hash}</code>"#),
            " bytes)</span>",
            // No README in this package: the description stands in.
            r#"<p class="description">Description of Acme.Core</p>"#,
        ],
    );
    assert_lacks(&body, &["has not been indexed", "unlisted this package"]);
    assert!(body.find("2.0.0-beta.1</a>").unwrap() < body.find(">1.0.0</a>").unwrap(), "newest first");

    // The prerelease's own page, by any casing of id and version.
    let body = html(&app, "/packages/acme.core/2.0.0-BETA.1");
    assert_contains(
        &body,
        &[
            r#"<span class="version">2.0.0-beta.1</span>"#,
            r#"<span class="badge">Prerelease</span>"#,
            "dotnet add package Acme.Core --version 2.0.0-beta.1",
        ],
    );
    assert_lacks(&body, &["There is a newer"]);

    // The download link serves the package.
    assert_eq!(app.get("/v3/flatcontainer/acme.core/1.0.0/acme.core.1.0.0.nupkg").status(), 200);
}

#[test]
fn readme_is_rendered_and_sanitized() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    let readme = concat!(
        "# Widget\n\nIntro with **bold**.\n\n",
        "<script>alert('x')</script>\n\n",
        "<img src=\"https://img.example.org/badge.svg\" onerror=\"alert(1)\">\n\n",
        "[bad link](javascript:alert(2)) and [good link](https://example.org/docs)\n\n",
        "![http image](http://img.example.org/plain.png) ![relative](images/logo.png)\n\n",
        "![inline](data:image/png;base64,iVBORw0KGgo=)\n\n",
        "<a href=\"JaVaScRiPt:alert(3)\" onclick=\"alert(4)\">raw link</a> <b style=\"color:red\">styled</b>\n",
    );
    let bytes = nupkg_named(
        &nuspec("Acme.Widget", "1.0.0", "<readme>README.md</readme>"),
        "Acme.Widget",
        &[("README.md", readme.as_bytes()), ("lib/net6.0/_._", b"")],
    );
    push_ok(&app, &key, &bytes);
    let body = html(&app, "/packages/Acme.Widget");
    let start = body.find(r#"<div class="markdown">"#).expect("rendered README");
    let rendered = &body[start..start + body[start..].find("</section>").unwrap()];
    assert_contains(
        rendered,
        &[
            "<h1>Widget</h1>",
            "<p>Intro with <strong>bold</strong>.</p>",
            r#"<img src="https://img.example.org/badge.svg">"#,
            r#"<a rel="nofollow noopener">bad link</a>"#,
            r#"<a href="https://example.org/docs" rel="nofollow noopener">good link</a>"#,
            r#"<img alt="http image">"#,
            r#"<img alt="relative">"#,
            r#"<img src="data:image/png;base64,iVBORw0KGgo=" alt="inline">"#,
            r#"<a rel="nofollow noopener">raw link</a>"#,
            "<b>styled</b>",
        ],
    );
    let lower = rendered.to_ascii_lowercase();
    assert_lacks(&lower, &["<script", "alert(", "onerror", "onclick", "javascript:", "http://", "style="]);
    assert_lacks(&body, &[r#"<p class="description">"#]);
}

#[test]
fn unlisted_versions_show_only_on_their_own_page() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    push_ok(&app, &key, &nupkg("Acme.Core", "1.0.0"));
    push_ok(&app, &key, &nupkg("Acme.Core", "2.0.0"));
    assert_eq!(app.delete(&key, "Acme.Core", "1.0.0").status(), 204);

    let body = html(&app, "/packages/Acme.Core/1.0.0");
    assert_contains(
        &body,
        &[
            "The owner has unlisted this package.",
            r#"<a href="/packages/Acme.Core/1.0.0" aria-current="page">1.0.0</a>"#,
            r#"<span class="badge">Unlisted</span>"#,
            r#"There is a newer version of this package available. <a href="/packages/Acme.Core/2.0.0">"#,
        ],
    );
    let body = html(&app, "/packages/Acme.Core");
    assert_contains(&body, &[r#"<span class="version">2.0.0</span>"#]);
    assert_lacks(&body, &["/packages/Acme.Core/1.0.0\"", "Unlisted", "unlisted this package"]);

    // With every version unlisted, the id page still shows the newest one, marked.
    assert_eq!(app.delete(&key, "Acme.Core", "2.0.0").status(), 204);
    let body = html(&app, "/packages/Acme.Core");
    assert_contains(&body, &[r#"<span class="version">2.0.0</span>"#, "The owner has unlisted this package."]);
}

#[test]
fn a_package_missing_from_the_search_index_says_so() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    push_ok(&app, &key, &nupkg("Acme.Core", "1.0.0"));
    let notice = "This package has not been indexed yet.";
    assert_lacks(&html(&app, "/packages/Acme.Core"), &[notice]);
    sql(&app, "DELETE FROM package_search");
    assert_contains(&html(&app, "/packages/Acme.Core"), &[notice]);
}

#[test]
fn license_file_report_abuse_and_unsafe_links() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    push_ok(
        &app,
        &key,
        &nupkg_named(
            &nuspec(
                "Acme.Lic",
                "1.0.0",
                // Push refuses such a projectUrl; a repository URL may be scp-style (`git@host:repo`),
                // so it is accepted and only an http(s) one becomes a link.
                r#"<license type="file">LICENSE.txt</license><repository type="git" url="javascript:alert(1)" />"#,
            ),
            "Acme.Lic",
            &[("LICENSE.txt", b"Acme <Proprietary> License"), ("lib/net6.0/_._", b"")],
        ),
    );
    let body = html(&app, "/packages/Acme.Lic");
    assert_contains(&body, &[r#"<a href="/packages/Acme.Lic/1.0.0/License">License file</a>"#]);
    assert_lacks(&body, &["javascript:", "Source repository"]);
    let license = html(&app, "/packages/Acme.Lic/1.0.0/License");
    assert_contains(
        &license,
        &[
            "<pre class=\"license-text\">Acme &#60;Proprietary&#62; License</pre>",
            r#"<a href="/packages/Acme.Lic/1.0.0">Acme.Lic 1.0.0</a>"#,
        ],
    );
    let report = html(&app, "/packages/acme.lic/1.0.0/ReportAbuse");
    assert_contains(
        &report,
        &["<h1>Report package Acme.Lic 1.0.0</h1>", r#"action="/packages/Acme.Lic/1.0.0/ReportAbuse""#],
    );
}

//! Lists of packages: search (paging, sorting, prerelease, bad parameters), home, profiles, cards.
use super::{assert_contains, assert_lacks, html, page, push_ok};
use crate::helpers::{nupkg, nupkg_extra, nupkg_named, nuspec, spawn_app};

#[test]
fn search_pages_sort_and_toggle_prerelease() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    for i in 1..=23 {
        push_ok(&app, &key, &nupkg(&format!("Paging.P{i:02}"), "1.0.0"));
    }
    push_ok(&app, &key, &nupkg("Paging.Preview", "1.0.0-alpha"));
    // Downloads rise with the number; publication dates fall, so the two sorts disagree. Raw SQL:
    // this sets an order of dates to sort by, it does not let time pass.
    let conn = app.db();
    for i in 1..=23 {
        let id = format!("paging.p{i:02}");
        galley::db::packages::add_downloads(&conn, &id, "1.0.0", i * 10).unwrap();
        (&conn as &dyn galley::db::sql::Sql)
            .execute(
                "UPDATE package_versions SET published_at = ?1 WHERE package_key = (SELECT id FROM packages WHERE id_lower = ?2)",
                galley::values![format!("2024-01-{:02}T00:00:00.000Z", 30 - i), id],
            )
            .unwrap();
    }
    drop(conn);
    let count = |body: &str| body.matches(r#"<li class="card">"#).count();

    let body = html(&app, "/packages?q=paging");
    assert_contains(
        &body,
        &[
            "24 packages returned for <q>paging</q>",
            "Page 1 of 2",
            r#"<a href="/packages?q=paging&#38;page=2" rel="next">Next →</a>"#,
            r#"<input type="checkbox" id="prerelease" name="prerelease" value="true" checked>"#,
            r#"<option value="relevance" selected>Relevance</option>"#,
            r#"value="paging" placeholder"#,
        ],
    );
    assert_eq!(count(&body), 20);
    let body = html(&app, "/packages?q=paging&page=2");
    assert_eq!(count(&body), 4);
    assert_contains(&body, &["Page 2 of 2", r#"<a href="/packages?q=paging" rel="prev">← Previous</a>"#]);
    let body = html(&app, "/packages?q=paging&page=9");
    assert_eq!(count(&body), 0);
    assert_contains(
        &body,
        &["There are no results on page 9", r#"<a href="/packages?q=paging">Go to the first page</a>"#],
    );

    let order = |body: &str| -> Vec<String> {
        body.split(r#"<h3 class="card-title">"#)
            .skip(1)
            .map(|s| s.split("</a>").next().unwrap().rsplit('>').next().unwrap().to_owned())
            .collect()
    };
    let body = html(&app, "/packages?q=paging&sortBy=totalDownloads-desc");
    assert_eq!(order(&body)[..3], ["Paging.P23", "Paging.P22", "Paging.P21"]);
    assert_contains(&body, &[r#"<option value="totalDownloads-desc" selected>Downloads</option>"#]);
    assert_contains(&body, &[r#"href="/packages?q=paging&#38;sortBy=totalDownloads-desc&#38;page=2" rel="next""#]);
    let body = html(&app, "/packages?q=paging&sortBy=created-desc");
    // Paging.Preview was published now, the others in January 2024.
    assert_eq!(order(&body)[..3], ["Paging.Preview", "Paging.P01", "Paging.P02"]);

    // Prerelease-only packages are shown by default and hidden by the toggle.
    let body = html(&app, "/packages?q=preview");
    assert_contains(&body, &[">Paging.Preview</a>", r#"<span class="version">1.0.0-alpha</span>"#]);
    for query in ["q=preview&prerelease=false", "q=preview&prerelease=true&prerelease=false"] {
        let body = html(&app, &format!("/packages?{query}"));
        assert_lacks(&body, &[">Paging.Preview</a>"]);
        assert_contains(&body, &["No packages match your search", r#"name="prerelease" value="true">"#]);
    }
    // The form without script: hidden "false" then the checked box's "true"; the last one wins.
    let body = html(&app, "/packages?q=preview&prerelease=false&prerelease=true");
    assert_contains(&body, &[">Paging.Preview</a>"]);
}

#[test]
fn malformed_search_parameters_answer_a_400_page() {
    let app = spawn_app();
    for (query, message) in [
        ("page=abc", "The &#39;page&#39; parameter must be a whole number from 1 up, not &#39;abc&#39;."),
        ("page=0", "The &#39;page&#39; parameter must be a whole number from 1 up, not &#39;0&#39;."),
        (
            "sortBy=bogus",
            "The &#39;sortBy&#39; parameter must be one of relevance, totalDownloads-desc, created-desc, not &#39;bogus&#39;.",
        ),
        ("prerelease=maybe", "The &#39;prerelease&#39; parameter must be true or false, not &#39;maybe&#39;."),
    ] {
        let p = page(&app, &format!("/packages?{query}"));
        assert_eq!(p.status, 400, "{query}");
        assert_eq!(p.headers["content-type"], "text/html; charset=utf-8");
        assert_contains(&p.body, &["<p class=\"status-code\">Error 400</p>", &format!("<p class=\"message\">{message}</p>")]);
    }
}

#[test]
fn home_lists_popular_and_recent_packages() {
    let app = spawn_app();
    let empty = html(&app, "/");
    assert_contains(&empty, &["No packages yet.", "0 packages · 0 versions"]);
    let (_, key) = app.user_with_key("alice");
    push_ok(&app, &key, &nupkg("Acme.Popular", "1.0.0"));
    push_ok(&app, &key, &nupkg("Acme.Fresh", "0.1.0-preview"));
    galley::db::packages::add_downloads(&app.db(), "acme.popular", "1.0.0", 5000).unwrap();
    let body = html(&app, "/");
    assert_contains(
        &body,
        &[
            "2 packages · 2 versions",
            r#"<a href="/packages/Acme.Popular">Acme.Popular</a>"#,
            r#"<a href="/packages/Acme.Fresh">Acme.Fresh</a>"#,
            "5K total downloads",
            r#"data-autocomplete="/v3/autocomplete""#,
            &format!("<code id=\"source-url\">{}/v3/index.json</code>", app.base),
            r#"<a href="/packages?sortBy=totalDownloads-desc">"#,
        ],
    );
    let popular = &body[body.find("popular-heading").unwrap()..body.find("recent-heading").unwrap()];
    assert!(popular.find("Acme.Popular").unwrap() < popular.find("Acme.Fresh").unwrap());
    let recent = &body[body.find("recent-heading").unwrap()..];
    assert!(recent.find("Acme.Fresh").unwrap() < recent.find("Acme.Popular").unwrap());
}

#[test]
fn cards_show_embedded_icons_tags_and_owners() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    let png = b"\x89PNG\r\n\x1a\n";
    push_ok(
        &app,
        &key,
        &nupkg_named(
            &nuspec("Acme.Icon", "1.0.0", "<icon>icon.png</icon><tags>drawing c#</tags>"),
            "Acme.Icon",
            &[("icon.png", png), ("lib/net6.0/_._", b"")],
        ),
    );
    push_ok(&app, &key, &nupkg_extra("Acme.Remote", "1.0.0", "<iconUrl>https://cdn.example.org/i.png</iconUrl>"));
    let body = html(&app, "/packages?q=acme");
    assert_contains(
        &body,
        &[
            r#"<img class="icon" src="/v3/flatcontainer/acme.icon/1.0.0/icon""#,
            r#"<a href="/packages?q=Tags%3A%22c%23%22">c#</a>"#,
            r#"by <a href="/profiles/alice">alice</a>"#,
        ],
    );
    assert_lacks(&body, &["verified owner"]);
    // A remote iconUrl would be a request to another site: the default icon stands in.
    assert_lacks(&body, &["cdn.example.org"]);
    assert_eq!(body.matches(r#"<img class="icon" src="/static/package-default."#).count(), 1);
    let tag_search = html(&app, "/packages?q=Tags%3A%22drawing%22");
    assert_contains(&tag_search, &["1 packages returned", ">Acme.Icon</a>"]);
    // A reserved id prefix shows the verified mark (reserved through the service, which tells
    // search's in-memory entries; a bare UPDATE would not).
    assert!(galley::services::prefixes::reserve(&app.state, "Acme.Icon", "root").unwrap());
    assert_eq!(
        html(&app, "/packages?q=acme").matches("<span class=\"visually-hidden\"> verified owner</span>").count(),
        1
    );
    assert_contains(&html(&app, "/packages/Acme.Icon"), &["verified owner"]);
}

#[test]
fn profile_lists_the_packages_an_account_owns() {
    let app = spawn_app();
    let (_, alice) = app.user_with_key("alice");
    let (_, bob) = app.user_with_key("bob");
    push_ok(&app, &alice, &nupkg("Acme.One", "1.0.0"));
    push_ok(&app, &alice, &nupkg("Acme.Two", "1.0.0"));
    push_ok(&app, &bob, &nupkg("Bob.Lib", "1.0.0"));
    galley::db::packages::add_downloads(&app.db(), "acme.two", "1.0.0", 1234).unwrap();
    let body = html(&app, "/profiles/ALICE");
    assert_contains(&body, &["<h1>alice</h1>", "2 packages · 1,234 total downloads", ">Acme.One</a>", ">Acme.Two</a>"]);
    assert_lacks(&body, &["Bob.Lib"]);
    assert!(body.find(">Acme.Two</a>").unwrap() < body.find(">Acme.One</a>").unwrap(), "most downloaded first");
    assert_contains(&html(&app, "/profiles/bob"), &[">Bob.Lib</a>"]);
}

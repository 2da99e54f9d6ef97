//! `GET /api/v2/package/{id}/{version}` and `/api/v2/package/{id}` serve what the flat container
//! serves; push and delete keep working beside them, and also at the feed URL itself.
use super::{core_1_0_0, feed, listed, package, seed, strings};
use crate::helpers::spawn_app;

#[test]
fn download_by_version_is_the_flat_container_file() {
    let app = spawn_app();
    seed(&app);
    let flat = app.get("/v3/flatcontainer/acme.core/1.0.0/acme.core.1.0.0.nupkg");
    assert_eq!(flat.status(), 200);
    let flat_headers = flat.headers().clone();
    for path in
        ["/api/v2/package/Acme.Core/1.0.0", "/api/v2/package/acme.core/1.0", "/api/v2/package/ACME.CORE/1.0.0.0/"]
    {
        let r = app.get(path);
        assert_eq!(r.status(), 200, "{path}");
        for header in ["content-type", "cache-control", "etag", "last-modified", "content-length"] {
            assert_eq!(r.headers().get(header), flat_headers.get(header), "{header} of {path}");
        }
        assert_eq!(r.bytes().unwrap().to_vec(), core_1_0_0(), "{path}");
    }
    let head = app.client.head(app.url("/api/v2/package/Acme.Core/1.0.0")).send().unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers().get("content-length"), flat_headers.get("content-length"));
    assert!(head.bytes().unwrap().is_empty());
}

#[test]
fn download_without_version_is_the_latest_listed_stable() {
    let app = spawn_app();
    let key = seed(&app);
    let r = app.get("/api/v2/package/Acme.Core");
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().unwrap().to_vec(), package("Acme.Core", "1.1.0", "<tags>acme</tags>"));
    // Only prereleases listed: the newest of them.
    let prerelease = package("Only.Pre", "1.0.0-alpha", "");
    assert_eq!(app.push(Some(&key), &prerelease).status(), 201);
    assert_eq!(app.get("/api/v2/package/only.pre/").bytes().unwrap().to_vec(), prerelease);
    // Other.Lib's newest (1.0.0) is unlisted.
    assert_eq!(
        app.get("/api/v2/package/Other.Lib").bytes().unwrap().to_vec(),
        package("Other.Lib", "0.9.0", "<tags>other</tags>")
    );
    assert_eq!(app.client.head(app.url("/api/v2/package/Acme.Core")).send().unwrap().status(), 200);
}

#[test]
fn missing_downloads_are_404() {
    let app = spawn_app();
    seed(&app);
    for path in [
        "/api/v2/package/Acme.Core/9.0.0",
        "/api/v2/package/Nope/1.0.0",
        "/api/v2/package/Nope",
        "/api/v2/package/Acme.Core/not.a.version",
    ] {
        assert_eq!(app.get(path).status(), 404, "{path}");
    }
    // An unlisted version stays downloadable, as on nuget.org.
    assert_eq!(app.get("/api/v2/package/Other.Lib/1.0.0").status(), 200);
}

#[test]
fn push_and_delete_still_work_on_the_package_resource_and_at_the_feed_url() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("bob");
    // What nuget.exe does with the source <base>/api/v2/: PUT there, DELETE <base>/api/v2/{id}/{version}.
    for (path, version) in [("/api/v2/", "1.0.0"), ("/api/v2", "1.1.0"), ("/api/v2/package", "1.2.0")] {
        let part =
            reqwest::blocking::multipart::Part::bytes(package("Pushed.Here", version, "")).file_name("package.nupkg");
        let form = reqwest::blocking::multipart::Form::new().part("package", part);
        let r = app.client.put(app.url(path)).header("X-NuGet-ApiKey", &key).multipart(form).send().unwrap();
        assert_eq!(r.status(), 201, "PUT {path}");
    }
    let again = package("Pushed.Here", "1.0.0", "");
    let part = reqwest::blocking::multipart::Part::bytes(again).file_name("package.nupkg");
    let r = app
        .client
        .put(app.url("/api/v2/"))
        .header("X-NuGet-ApiKey", &key)
        .multipart(reqwest::blocking::multipart::Form::new().part("package", part))
        .send()
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = app.client.delete(app.url("/api/v2/Pushed.Here/1.0.0")).header("X-NuGet-ApiKey", &key).send().unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(app.delete(&key, "Pushed.Here", "1.1.0").status(), 204);
    let r = app.client.delete(app.url("/api/v2/Pushed.Here/1.2.0")).send().unwrap();
    assert_eq!(r.status(), 401, "no key, no delete");
    let f = feed(&app, "/api/v2/Packages()?$filter=Id eq 'Pushed.Here'");
    assert_eq!(listed(&f), strings(&["Pushed.Here 1.2.0"]));
    let r = app.client.post(app.url("/api/v2/Pushed.Here/1.0.0")).header("X-NuGet-ApiKey", &key).send().unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        listed(&feed(&app, "/api/v2/Packages()?$filter=Id eq 'Pushed.Here'")),
        strings(&["Pushed.Here 1.0.0", "Pushed.Here 1.2.0"])
    );
}

#[test]
fn a_private_feed_guards_v2_reads_but_not_publishing() {
    let app = crate::helpers::spawn_app_with(|c| c.feed.require_auth = true);
    let (_, key) = app.user_with_key("carol");
    for path in [
        "/api/v2/",
        "/api/v2/$metadata",
        "/api/v2/Packages()",
        "/api/v2/Search()?searchTerm=''",
        "/api/v2/package/Acme.Core/1.0.0",
    ] {
        assert_eq!(app.get(path).status(), 401, "{path}");
    }
    // Publishing is authorized by the API key, at the feed URL too.
    let part =
        reqwest::blocking::multipart::Part::bytes(package("Private.One", "1.0.0", "")).file_name("package.nupkg");
    let form = reqwest::blocking::multipart::Form::new().part("package", part);
    let r = app.client.put(app.url("/api/v2/")).header("X-NuGet-ApiKey", &key).multipart(form).send().unwrap();
    assert_eq!(r.status(), 201);
    let r = app
        .client
        .get(app.url("/api/v2/FindPackagesById()?id='Private.One'"))
        .basic_auth("carol", Some(&key))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(listed(&super::xml::parse(&r.bytes().unwrap())), strings(&["Private.One 1.0.0"]));
    let r = app.client.delete(app.url("/api/v2/Private.One/1.0.0")).header("X-NuGet-ApiKey", &key).send().unwrap();
    assert_eq!(r.status(), 204);
}

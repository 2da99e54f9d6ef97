//! The v2 (OData/Atom) feed: every resource over real HTTP, reading the XML back with quick-xml.
mod documents;
mod download;
mod entries;
mod errors;
mod listings;
mod paging;
mod updates;
pub mod xml;

use crate::helpers::{nupkg_named, nuspec, TestApp};
use xml::Node;

pub const FEED_TYPE: &str = "application/atom+xml;type=feed;charset=utf-8";
pub const ENTRY_TYPE: &str = "application/atom+xml;type=entry;charset=utf-8";

/// The metadata of Acme.Core 1.0.0, full of characters that need escaping.
pub const CORE_TITLE: &str = "Acme Core — café <crème> & \"quotes\" 'apos'";
pub const CORE_DESCRIPTION: &str = "Core types & helpers <for> Acme apps — naïve café, 日本語, Ελληνικά.\nSecond line.";
pub const CORE_NOTES: &str = "Première version: \"quotes\" & 'apostrophes' <ok> ]]> done.";

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

pub fn package(id: &str, version: &str, extra: &str) -> Vec<u8> {
    nupkg_named(&nuspec(id, version, extra), id, &[("lib/net6.0/_._", b"")])
}

/// The bytes of Acme.Core 1.0.0 as pushed.
pub fn core_1_0_0() -> Vec<u8> {
    let xml = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>Acme.Core</id>
    <version>1.0.0</version>
    <title>{}</title>
    <authors>Zoë Müller, Jürgen Ø. Ångström</authors>
    <description>{}</description>
    <summary>Acme core &amp; friends</summary>
    <releaseNotes>{}</releaseNotes>
    <copyright>© 2024 Zoë</copyright>
    <projectUrl>https://example.com/acme?x=1&amp;y=2</projectUrl>
    <tags>acme core test</tags>
  </metadata>
</package>"#,
        xml_escape(CORE_TITLE),
        xml_escape(CORE_DESCRIPTION),
        xml_escape(CORE_NOTES)
    );
    nupkg_named(&xml, "Acme.Core", &[("lib/net6.0/_._", b"")])
}

/// Pushes the test gallery and returns the pushing user's key:
/// Acme.Core 1.0.0, 1.1.0, 2.0.0-beta, 3.0.0-rc.1 (SemVer 2.0); Acme.App 1.0.0 (depends on
/// Acme.Core); Other.Lib 0.9.0 and 1.0.0 (unlisted).
pub fn seed(app: &TestApp) -> String {
    let (_, key) = app.user_with_key("alice");
    let app_deps = r#"<dependencies>
        <group targetFramework="net6.0"><dependency id="Acme.Core" version="[1.0.0, )" /></group>
        <group targetFramework=".NETStandard2.0" />
      </dependencies>"#;
    let packages = [
        core_1_0_0(),
        package("Acme.Core", "1.1.0", "<tags>acme</tags>"),
        package("Acme.Core", "2.0.0-beta", ""),
        package("Acme.Core", "3.0.0-rc.1", ""),
        package("Acme.App", "1.0.0", app_deps),
        package("Other.Lib", "0.9.0", "<tags>other</tags>"),
        package("Other.Lib", "1.0.0", ""),
    ];
    for bytes in packages {
        let r = app.push(Some(&key), &bytes);
        assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    }
    assert_eq!(app.delete(&key, "Other.Lib", "1.0.0").status(), 204);
    key
}

pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn get(app: &TestApp, path: &str) -> Answer {
    let r = app.get(path);
    let status = r.status().as_u16();
    let content_type = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    Answer { status, content_type, body: r.bytes().unwrap().to_vec() }
}

/// GETs a feed, checking the status and content type.
pub fn feed(app: &TestApp, path: &str) -> Node {
    let a = get(app, path);
    assert_eq!(a.status, 200, "GET {path}: {}", a.text());
    assert_eq!(a.content_type, FEED_TYPE, "GET {path}");
    let root = xml::parse(&a.body);
    assert_eq!((root.ns.as_str(), root.name.as_str()), (xml::ATOM, "feed"), "GET {path}");
    root
}

/// `Id Version` of each entry, in order.
pub fn listed(feed: &Node) -> Vec<String> {
    feed.entries().iter().map(|e| format!("{} {}", e.prop_text("Id"), e.prop_text("Version"))).collect()
}

/// Follows `next` links from `path` and returns every entry's `Id Version` and the number of pages.
pub fn follow(app: &TestApp, path: &str) -> (Vec<String>, usize) {
    let mut all = Vec::new();
    let mut pages = 0;
    let mut url = app.url(path);
    loop {
        pages += 1;
        assert!(pages < 50, "next links never end");
        let r = app.client.get(&url).send().unwrap();
        assert_eq!(r.status(), 200, "GET {url}");
        let page = xml::parse(&r.bytes().unwrap());
        all.extend(listed(&page));
        match page.link("next") {
            Some(next) => next.clone_into(&mut url),
            None => return (all, pages),
        }
    }
}

/// Status and plain-text body of a request that should fail.
pub fn refused(app: &TestApp, path: &str) -> (u16, String) {
    let a = get(app, path);
    (a.status, a.text())
}

pub fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

//! NuGet v2 (OData) Atom documents: feeds and entries of `V2FeedPackage`, written with
//! quick-xml's `Writer`. Every text goes through one escaping function, so ids, descriptions
//! and release notes with markup, quotes or any Unicode round-trip.
use super::urls::UrlGenerator;
use super::v2_properties::{EdmType, Property};
use crate::domain::records::EntryRecord;
use crate::domain::records::VersionRecord;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use std::io;

pub const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
pub const DATA_NS: &str = "http://schemas.microsoft.com/ado/2007/08/dataservices";
pub const METADATA_NS: &str = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata";
pub const SCHEME_NS: &str = "http://schemas.microsoft.com/ado/2007/08/dataservices/scheme";
/// The entity type's full name, as in `$metadata`.
pub const ENTITY_TYPE: &str = "NuGetGallery.OData.V2FeedPackage";
pub const FEED_CONTENT_TYPE: &str = "application/atom+xml;type=feed;charset=utf-8";
pub const ENTRY_CONTENT_TYPE: &str = "application/atom+xml;type=entry;charset=utf-8";
/// What nuget.org shows as the publish date of an unlisted version; clients read a year before
/// 1901 as "unlisted".
pub const UNLISTED_PUBLISHED: &str = "1900-01-01T00:00:00";

/// A property value as the feed types it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(Option<String>),
    Int(i64),
    Bool(bool),
    DateTime(Option<String>),
}

/// Escapes text for element content or a double-quoted attribute. Characters XML 1.0 cannot
/// carry at all become U+FFFD; carriage returns (and, in attributes, tabs and newlines) become
/// character references so a parser's normalisation does not change them.
pub fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' if attribute => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// An `Edm.DateTime` as nuget.org writes it: UTC without an offset, fractional seconds without
/// trailing zeros (`2024-01-02T03:04:05.12`).
pub fn edm_datetime(rfc3339: &str) -> String {
    let Ok(at) = chrono::DateTime::parse_from_rfc3339(rfc3339) else {
        return rfc3339.to_owned();
    };
    let at = at.with_timezone(&chrono::Utc);
    let mut text = at.format("%Y-%m-%dT%H:%M:%S%.3f").to_string();
    while text.ends_with('0') {
        text.pop();
    }
    if text.ends_with('.') {
        text.pop();
    }
    text
}

/// An Atom date (`2024-01-02T03:04:05Z`).
pub fn atom_date(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339).map_or_else(
        |_| rfc3339.to_owned(),
        |at| at.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

/// The short folder name clients use for a target framework (`.NETStandard2.0` → `netstandard2.0`,
/// `.NETFramework4.5` → `net45`); other spellings pass through, since clients parse them too.
fn short_framework(framework: &str) -> String {
    let f = framework.trim();
    let f = f.replace(",Version=v", "").replace(",Version=", "");
    let lower = f.to_ascii_lowercase();
    if let Some(v) = lower.strip_prefix(".netstandard") {
        return format!("netstandard{v}");
    }
    if let Some(v) = lower.strip_prefix(".netcoreapp") {
        return format!("netcoreapp{v}");
    }
    if let Some(v) = lower.strip_prefix(".netframework") {
        return format!("net{}", v.replace('.', ""));
    }
    f
}

/// `Dependencies`: `id:range:framework` joined by `|`, as nuget.org flattens them; a group with no
/// dependencies is `::framework`, an unbounded range is empty.
pub fn flatten_dependencies(v: &VersionRecord) -> String {
    let mut items = Vec::new();
    for group in &v.dependency_groups {
        let framework = group.target_framework.as_deref().map(short_framework).unwrap_or_default();
        if group.dependencies.is_empty() {
            items.push(format!("::{framework}"));
        }
        for d in &group.dependencies {
            let range = if d.range == "(, )" { "" } else { d.range.as_str() };
            items.push(format!("{}:{range}:{framework}", d.id));
        }
    }
    items.join("|")
}

fn text(value: Option<&str>) -> Value {
    Value::Text(value.filter(|s| !s.is_empty()).map(str::to_owned))
}

/// The value of one property of an entry.
pub fn value(urls: &UrlGenerator, e: &EntryRecord, property: Property) -> Value {
    let v = &e.version;
    let id = v.package_id.as_str();
    match property {
        Property::Id => Value::Text(Some(id.to_owned())),
        Property::Version => Value::Text(Some(v.version_full.clone())),
        Property::NormalizedVersion => Value::Text(Some(v.version_normalized.clone())),
        Property::Authors => text(Some(&v.authors)),
        Property::Copyright => text(v.copyright.as_deref()),
        Property::Created => Value::DateTime(Some(edm_datetime(&v.created_at))),
        Property::Dependencies => Value::Text(Some(flatten_dependencies(v))),
        Property::Description => text(Some(&v.description)),
        Property::DownloadCount => Value::Int(e.total_downloads.min(i64::from(i32::MAX))),
        Property::GalleryDetailsUrl => Value::Text(Some(urls.package_details(id, &v.version_normalized))),
        Property::IconUrl if v.icon_file.is_some() => Value::Text(Some(urls.icon(&e.id_lower, &v.version_lower))),
        Property::IconUrl => text(v.icon_url.as_deref()),
        Property::IsLatestVersion => Value::Bool(e.is_latest),
        Property::IsAbsoluteLatestVersion => Value::Bool(e.is_absolute_latest),
        Property::IsPrerelease => Value::Bool(v.is_prerelease),
        Property::Language => text(v.language.as_deref()),
        Property::LastUpdated | Property::LastEdited => Value::DateTime(Some(edm_datetime(&v.last_edited_at))),
        Property::Published if v.listed => Value::DateTime(Some(edm_datetime(&v.published_at))),
        Property::Published => Value::DateTime(Some(UNLISTED_PUBLISHED.to_owned())),
        Property::PackageHash => Value::Text(Some(v.hash_sha512.clone())),
        Property::PackageHashAlgorithm => Value::Text(Some("SHA512".to_owned())),
        Property::PackageSize => Value::Int(v.size),
        Property::ProjectUrl => text(v.project_url.as_deref()),
        Property::ReportAbuseUrl => Value::Text(Some(urls.report_abuse(id, &v.version_normalized))),
        Property::ReleaseNotes => text(v.release_notes.as_deref()),
        Property::RequireLicenseAcceptance => Value::Bool(v.require_license_acceptance),
        Property::Summary => text(v.summary.as_deref()),
        Property::Tags => text(Some(&v.tags)),
        Property::Title => text(v.title.as_deref()),
        Property::VersionDownloadCount => Value::Int(v.downloads.min(i64::from(i32::MAX))),
        Property::MinClientVersion => text(v.min_client_version.as_deref()),
        Property::LicenseUrl => text(v.license_url.as_deref()),
        Property::LicenseNames | Property::LicenseReportUrl => Value::Text(None),
        Property::Owners => Value::Text(Some(e.owners.join(", ")).filter(|s| !s.is_empty())),
        Property::Listed => Value::Bool(v.listed),
        Property::DevelopmentDependency => Value::Bool(v.development_dependency),
    }
}

struct Xml {
    w: Writer<Vec<u8>>,
}

impl Xml {
    fn new() -> io::Result<Self> {
        let mut w = Writer::new(Vec::with_capacity(8192));
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
        Ok(Self { w })
    }

    fn start(&mut self, name: &str, attributes: &[(&str, &str)]) -> io::Result<()> {
        self.w.write_event(Event::Start(element(name, attributes)))
    }

    fn end(&mut self, name: &str) -> io::Result<()> {
        self.w.write_event(Event::End(BytesEnd::new(name)))
    }

    fn empty(&mut self, name: &str, attributes: &[(&str, &str)]) -> io::Result<()> {
        self.w.write_event(Event::Empty(element(name, attributes)))
    }

    fn text_element(&mut self, name: &str, attributes: &[(&str, &str)], content: &str) -> io::Result<()> {
        self.start(name, attributes)?;
        self.w.write_event(Event::Text(BytesText::from_escaped(escape(content, false))))?;
        self.end(name)
    }

    fn finish(self) -> Vec<u8> {
        self.w.into_inner()
    }
}

fn element<'a>(name: &'a str, attributes: &[(&str, &str)]) -> BytesStart<'a> {
    let mut start = BytesStart::new(name);
    for (key, value) in attributes {
        start.push_attribute(quick_xml::events::attributes::Attribute {
            key: quick_xml::name::QName(key.as_bytes()),
            value: escape(value, true).into_bytes().into(),
        });
    }
    start
}

const NAMESPACES: [(&str, &str); 3] = [("xmlns", ATOM_NS), ("xmlns:d", DATA_NS), ("xmlns:m", METADATA_NS)];

/// What a feed document says about itself.
pub struct FeedHead<'a> {
    /// `Packages`, `Search`, `FindPackagesById`, `GetUpdates`.
    pub title: &'a str,
    /// Absolute URL of the request's resource (without the query).
    pub self_url: &'a str,
    /// `m:count`, when the client asked for it.
    pub count: Option<usize>,
    /// Absolute URL of the next page, when the server cut this one.
    pub next_url: Option<&'a str>,
    /// Properties to write (`$select`); `None` writes all.
    pub select: Option<&'a [Property]>,
    /// Atom `updated` of the feed (RFC 3339).
    pub updated: &'a str,
}

/// A whole `<feed>` document.
pub fn feed(urls: &UrlGenerator, head: &FeedHead<'_>, entries: &[EntryRecord]) -> io::Result<Vec<u8>> {
    let mut x = Xml::new()?;
    let base = urls.v2_root();
    let mut attributes = vec![("xml:base", base.as_str())];
    attributes.extend(NAMESPACES);
    x.start("feed", &attributes)?;
    x.text_element("id", &[], head.self_url)?;
    x.text_element("title", &[("type", "text")], head.title)?;
    x.text_element("updated", &[], &atom_date(head.updated))?;
    x.empty("link", &[("rel", "self"), ("title", head.title), ("href", head.self_url)])?;
    if let Some(count) = head.count {
        x.text_element("m:count", &[], &count.to_string())?;
    }
    for e in entries {
        write_entry(&mut x, urls, e, head.select, &[])?;
    }
    if let Some(next) = head.next_url {
        x.empty("link", &[("rel", "next"), ("href", next)])?;
    }
    x.end("feed")?;
    Ok(x.finish())
}

/// A standalone `<entry>` document (`Packages(Id='…',Version='…')`).
pub fn entry(urls: &UrlGenerator, e: &EntryRecord, select: Option<&[Property]>) -> io::Result<Vec<u8>> {
    let mut x = Xml::new()?;
    let base = urls.v2_root();
    let mut attributes = vec![("xml:base", base.as_str())];
    attributes.extend(NAMESPACES);
    write_entry(&mut x, urls, e, select, &attributes)?;
    Ok(x.finish())
}

fn write_entry(
    x: &mut Xml,
    urls: &UrlGenerator,
    e: &EntryRecord,
    select: Option<&[Property]>,
    attributes: &[(&str, &str)],
) -> io::Result<()> {
    let v = &e.version;
    let url = urls.v2_entry(&v.package_id, &v.version_normalized);
    x.start("entry", attributes)?;
    x.text_element("id", &[], &url)?;
    x.empty("category", &[("term", ENTITY_TYPE), ("scheme", SCHEME_NS)])?;
    x.empty("link", &[("rel", "edit"), ("title", "V2FeedPackage"), ("href", &url)])?;
    x.empty("link", &[("rel", "self"), ("title", "V2FeedPackage"), ("href", &url)])?;
    x.text_element("title", &[("type", "text")], &v.package_id)?;
    x.text_element("summary", &[("type", "text")], v.summary.as_deref().unwrap_or_default())?;
    x.text_element("updated", &[], &atom_date(&v.last_edited_at))?;
    x.start("author", &[])?;
    x.text_element("name", &[], &v.authors)?;
    x.end("author")?;
    let download = urls.v2_download(&v.package_id, &v.version_normalized);
    x.empty("content", &[("type", "application/zip"), ("src", &download)])?;
    x.start("m:properties", &[])?;
    for property in Property::ALL.iter().filter(|p| select.is_none_or(|s| s.contains(p))) {
        write_property(x, *property, &value(urls, e, *property))?;
    }
    x.end("m:properties")?;
    x.end("entry")
}

fn write_property(x: &mut Xml, property: Property, value: &Value) -> io::Result<()> {
    let name = format!("d:{}", property.name());
    let edm = property.edm_type();
    let typed: &[(&str, &str)] = if edm == EdmType::String { &[] } else { &[("m:type", edm.name())] };
    let content = match value {
        Value::Text(None) | Value::DateTime(None) => {
            let mut attributes = typed.to_vec();
            attributes.push(("m:null", "true"));
            return x.empty(&name, &attributes);
        }
        Value::Text(Some(s)) | Value::DateTime(Some(s)) => s.clone(),
        Value::Int(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
    };
    x.text_element(&name, typed, &content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_quotes_and_unwritable_characters() {
        assert_eq!(escape("a<b>&\"c\"\r\n\t\u{1}é", false), "a&lt;b&gt;&amp;\"c\"&#13;\n\t\u{FFFD}é");
        assert_eq!(escape("x\"y\n", true), "x&quot;y&#10;");
    }

    #[test]
    fn dates_look_like_nuget_orgs() {
        assert_eq!(edm_datetime("2024-01-02T03:04:05.123Z"), "2024-01-02T03:04:05.123");
        assert_eq!(edm_datetime("2024-01-02T03:04:05.120Z"), "2024-01-02T03:04:05.12");
        assert_eq!(edm_datetime("2024-01-02T03:04:05.000Z"), "2024-01-02T03:04:05");
        assert_eq!(edm_datetime("2024-01-02T05:04:05+02:00"), "2024-01-02T03:04:05");
        assert_eq!(atom_date("2024-01-02T03:04:05.123Z"), "2024-01-02T03:04:05Z");
    }

    #[test]
    fn frameworks_use_short_names() {
        assert_eq!(short_framework(".NETStandard2.0"), "netstandard2.0");
        assert_eq!(short_framework(".NETFramework4.7.2"), "net472");
        assert_eq!(short_framework(".NETFramework,Version=v4.5"), "net45");
        assert_eq!(short_framework(".NETCoreApp3.1"), "netcoreapp3.1");
        assert_eq!(short_framework("net6.0"), "net6.0");
    }
}

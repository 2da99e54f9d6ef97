//! Owns reading a `.nuspec` manifest (raw bytes) into a typed, validated [`Nuspec`] model.
//!
//! The schema namespace changed across NuGet releases (2010/07 … 2013/05, or none at all),
//! so elements and attributes are matched by their local name only. Content in any other
//! namespace (an XHTML `<script>`, an SVG element) and processing instructions such as
//! `xml-stylesheet` are refused: the nuspec is served back to browsers, and a manifest has no use
//! for them. The URLs a client or the portal turns into links must be absolute http(s). DTDs are refused
//! outright and only the five predefined XML entities plus numeric character references
//! are expanded, which closes off entity-expansion ("billion laughs") and external-entity
//! tricks without having to reason about them.
// "NuGet", "SemVer" and "UTF-8" in prose are product names, not code to backtick.

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::NsReader;
use serde::Serialize;

use crate::domain::id::{IdError, PackageId};
use crate::domain::version::{NuGetVersion, VersionError};
use crate::domain::version_range::VersionRange;

/// Deeper nesting than this is never a real manifest (the deepest legitimate path is
/// package/metadata/dependencies/group/dependency); the cap keeps a hostile file from
/// building a tree whose recursive drop could exhaust the stack.
const MAX_DEPTH: usize = 64;

/// The package manifest, as written by the package author.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Nuspec {
    pub id: PackageId,
    pub version: NuGetVersion,
    pub title: Option<String>,
    /// Kept exactly as written; see [`Nuspec::authors_list`] for the split form.
    pub authors: String,
    pub owners: Option<String>,
    pub description: String,
    pub summary: Option<String>,
    pub release_notes: Option<String>,
    pub copyright: Option<String>,
    pub language: Option<String>,
    /// Split on whitespace and commas with empty pieces dropped, because both separators
    /// occur in the wild.
    pub tags: Vec<String>,
    pub project_url: Option<String>,
    pub icon_url: Option<String>,
    /// Path of an icon file inside the package.
    pub icon: Option<String>,
    /// Path of a readme file inside the package.
    pub readme: Option<String>,
    pub license_url: Option<String>,
    pub license: Option<License>,
    pub require_license_acceptance: bool,
    pub development_dependency: bool,
    pub serviceable: bool,
    /// The `minClientVersion` attribute of `<metadata>`.
    pub min_client_version: Option<String>,
    pub repository: Option<Repository>,
    /// Empty when the file declares none; callers apply NuGet's `Dependency` default.
    pub package_types: Vec<PackageType>,
    pub dependency_groups: Vec<DependencyGroup>,
    pub framework_assemblies: Vec<FrameworkAssembly>,
    pub framework_references: Vec<FrameworkReferenceGroup>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum License {
    /// An SPDX license expression such as `MIT` or `Apache-2.0 OR MIT`.
    Expression(String),
    /// Path of a license file inside the package.
    File(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Repository {
    /// The `type` attribute (`git`, …); `type` is a Rust keyword, hence the field name.
    pub kind: Option<String>,
    pub url: Option<String>,
    pub branch: Option<String>,
    pub commit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageType {
    pub name: String,
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DependencyGroup {
    /// `None` for the framework-agnostic group (including the legacy flat form).
    pub target_framework: Option<String>,
    /// May be empty: an empty group states "no dependencies for this framework".
    pub dependencies: Vec<Dependency>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    /// Not validated as a [`PackageId`]: old packages on nuget.org depend on ids that
    /// today's rules reject, and refusing them would make those packages unpublishable.
    pub id: String,
    pub range: VersionRange,
    pub include: Option<String>,
    pub exclude: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameworkAssembly {
    pub assembly_name: String,
    /// As written; may be a comma-separated list of frameworks.
    pub target_framework: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameworkReferenceGroup {
    pub target_framework: Option<String>,
    pub references: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum NuspecError {
    #[error("the .nuspec file is not well-formed XML: {0}")]
    Xml(String),
    #[error("the .nuspec file contains a DTD, which is not allowed")]
    Dtd,
    #[error("the .nuspec file has no <metadata> element")]
    NoMetadata,
    #[error("the .nuspec file is missing the required <{0}> element")]
    Missing(&'static str),
    #[error("'{id}' is not a valid package id: {reason}")]
    InvalidId { id: String, reason: IdError },
    #[error(transparent)]
    InvalidVersion(VersionError),
    #[error("a <dependency> element has no id attribute")]
    DependencyWithoutId,
    #[error("dependency '{id}' has an invalid version range '{range}'")]
    InvalidDependencyRange { id: String, range: String },
    #[error("the <license> element has an unknown type '{0}'; use 'expression' or 'file'")]
    InvalidLicense(String),
    #[error(
        "the .nuspec file contains <{element}> in the namespace '{namespace}'; only the nuspec schema \
         namespaces are allowed"
    )]
    ForeignNamespace { element: String, namespace: String },
    #[error("the .nuspec file contains the processing instruction <?{0}?>, which is not allowed")]
    ProcessingInstruction(String),
    #[error("the <{field}> '{value}' is not an absolute http or https URL")]
    InvalidUrl { field: &'static str, value: String },
}

impl Nuspec {
    /// The authors as NuGet displays them: comma-separated, trimmed, empties dropped.
    #[must_use]
    pub fn authors_list(&self) -> Vec<String> {
        self.authors.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned).collect()
    }

    /// Whether a SemVer 1 client would misread this package: its own version or any
    /// dependency range uses SemVer 2 features.
    #[must_use]
    pub fn is_semver2(&self) -> bool {
        self.version.is_semver2()
            || self.dependency_groups.iter().flat_map(|g| &g.dependencies).any(|d| d.range.is_semver2())
    }

    /// Parses and validates a `.nuspec` file.
    ///
    /// # Errors
    /// Returns a [`NuspecError`] describing the first problem found.
    pub fn parse(xml: &[u8]) -> Result<Nuspec, NuspecError> {
        let root = parse_tree(&decode_text(xml)?)?;
        if root.name != "package" {
            return Err(NuspecError::Xml(format!("the root element is <{}>, expected <package>", root.name)));
        }
        let metadata = root.child("metadata").ok_or(NuspecError::NoMetadata)?;
        from_metadata(metadata, true)
    }

    /// Parses the manifest of a symbol package: `nuget pack -SymbolPackageFormat snupkg` writes
    /// one without `<authors>` and `<description>`, which there describe nothing (the package's
    /// own manifest does); every other rule holds.
    pub fn parse_symbols(xml: &[u8]) -> Result<Nuspec, NuspecError> {
        let root = parse_tree(&decode_text(xml)?)?;
        if root.name != "package" {
            return Err(NuspecError::Xml(format!("the root element is <{}>, expected <package>", root.name)));
        }
        let metadata = root.child("metadata").ok_or(NuspecError::NoMetadata)?;
        from_metadata(metadata, false)
    }
}

fn from_metadata(m: &Element, described: bool) -> Result<Nuspec, NuspecError> {
    let id_text = m.required_text("id")?;
    let id = PackageId::parse(&id_text).map_err(|reason| NuspecError::InvalidId { id: id_text.clone(), reason })?;
    let version = NuGetVersion::parse(&m.required_text("version")?).map_err(NuspecError::InvalidVersion)?;
    let optional = |name| if described { m.required_text(name) } else { Ok(m.child_text(name).unwrap_or_default()) };
    let authors = optional("authors")?;
    let description = optional("description")?;

    let tags = m
        .child_text("tags")
        .map(|t| {
            t.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        })
        .unwrap_or_default();

    Ok(Nuspec {
        id,
        version,
        title: m.child_text("title"),
        authors,
        owners: m.child_text("owners"),
        description,
        summary: m.child_text("summary"),
        release_notes: m.child_text("releaseNotes"),
        copyright: m.child_text("copyright"),
        language: m.child_text("language"),
        tags,
        project_url: web_url(m, "projectUrl")?,
        icon_url: web_url(m, "iconUrl")?,
        icon: m.child_text("icon"),
        readme: m.child_text("readme"),
        license_url: web_url(m, "licenseUrl")?,
        license: parse_license(m)?,
        require_license_acceptance: m.child_bool("requireLicenseAcceptance"),
        development_dependency: m.child_bool("developmentDependency"),
        serviceable: m.child_bool("serviceable"),
        min_client_version: m.attr("minClientVersion"),
        repository: m.child("repository").map(|r| Repository {
            kind: r.attr("type"),
            url: r.attr("url"),
            branch: r.attr("branch"),
            commit: r.attr("commit"),
        }),
        package_types: parse_package_types(m),
        dependency_groups: parse_dependencies(m)?,
        framework_assemblies: parse_framework_assemblies(m),
        framework_references: parse_framework_references(m),
    })
}

/// nuget.org accepts only absolute http(s) URLs in these elements; anything else (`javascript:`,
/// `data:`, `file:`, a relative path) would be passed on to every client and page as a link.
fn web_url(m: &Element, field: &'static str) -> Result<Option<String>, NuspecError> {
    match m.child_text(field) {
        Some(value) if crate::domain::web_url::parse(&value).is_none() => Err(NuspecError::InvalidUrl { field, value }),
        other => Ok(other),
    }
}

fn parse_license(m: &Element) -> Result<Option<License>, NuspecError> {
    let Some(el) = m.child("license") else {
        return Ok(None);
    };
    let text = el.text.trim();
    // An empty <license/> carries no information; treating it as absent matches how the
    // other optional text elements behave.
    if text.is_empty() {
        return Ok(None);
    }
    let kind = el.attr("type").unwrap_or_default();
    match kind.as_str() {
        "expression" => Ok(Some(License::Expression(text.to_owned()))),
        "file" => Ok(Some(License::File(text.to_owned()))),
        _ => Err(NuspecError::InvalidLicense(kind)),
    }
}

fn parse_package_types(m: &Element) -> Vec<PackageType> {
    m.child("packageTypes")
        .map(|types| {
            types
                .children_named("packageType")
                .filter_map(|t| Some(PackageType { name: t.attr("name")?, version: t.attr("version") }))
                .collect()
        })
        .unwrap_or_default()
}

fn parse_dependencies(m: &Element) -> Result<Vec<DependencyGroup>, NuspecError> {
    let Some(deps) = m.child("dependencies") else {
        return Ok(Vec::new());
    };
    let groups: Vec<&Element> = deps.children_named("group").collect();
    if groups.is_empty() {
        let flat: Vec<&Element> = deps.children_named("dependency").collect();
        if flat.is_empty() {
            return Ok(Vec::new());
        }
        let dependencies = flat.into_iter().map(parse_dependency).collect::<Result<_, _>>()?;
        return Ok(vec![DependencyGroup { target_framework: None, dependencies }]);
    }
    // Like the NuGet client, once any <group> exists the flat <dependency> siblings are
    // ignored (the schema forbids mixing them), so clients and this server agree.
    groups
        .into_iter()
        .map(|g| {
            Ok(DependencyGroup {
                target_framework: g.attr("targetFramework"),
                dependencies: g.children_named("dependency").map(parse_dependency).collect::<Result<_, _>>()?,
            })
        })
        .collect()
}

fn parse_dependency(d: &Element) -> Result<Dependency, NuspecError> {
    let id = d.attr("id").ok_or(NuspecError::DependencyWithoutId)?;
    // A missing or empty version means "any version" (NUnit.Mocks 2.6.4 ships like that).
    let raw_range = d.attr("version").unwrap_or_default();
    let range = VersionRange::parse(&raw_range)
        .map_err(|_| NuspecError::InvalidDependencyRange { id: id.clone(), range: raw_range.clone() })?;
    Ok(Dependency { id, range, include: d.attr("include"), exclude: d.attr("exclude") })
}

fn parse_framework_assemblies(m: &Element) -> Vec<FrameworkAssembly> {
    m.child("frameworkAssemblies")
        .map(|fa| {
            fa.children_named("frameworkAssembly")
                .filter_map(|a| {
                    Some(FrameworkAssembly {
                        assembly_name: a.attr("assemblyName")?,
                        target_framework: a.attr("targetFramework"),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn parse_framework_references(m: &Element) -> Vec<FrameworkReferenceGroup> {
    m.child("frameworkReferences")
        .map(|fr| {
            fr.children_named("group")
                .map(|g| FrameworkReferenceGroup {
                    target_framework: g.attr("targetFramework"),
                    references: g.children_named("frameworkReference").filter_map(|r| r.attr("name")).collect(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A minimal element tree: local names only, attributes already unescaped, text of
/// direct text/CDATA children concatenated (not yet trimmed).
#[derive(Debug, Default)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Element>,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Trimmed text of the first child so named; `None` when absent or blank, since an
    /// empty element says nothing more than a missing one.
    fn child_text(&self, name: &str) -> Option<String> {
        let text = self.child(name)?.text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    }

    fn required_text(&self, name: &'static str) -> Result<String, NuspecError> {
        self.child_text(name).ok_or(NuspecError::Missing(name))
    }

    /// `xs:boolean` accepts `true`/`1`; anything else (including absence) is false.
    fn child_bool(&self, name: &str) -> bool {
        self.child_text(name).is_some_and(|t| t.eq_ignore_ascii_case("true") || t == "1")
    }

    /// Trimmed attribute value by local name; `None` when absent or blank.
    fn attr(&self, name: &str) -> Option<String> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty()).map(str::to_owned)
    }
}

/// Turns raw bytes into text. NuGet writes UTF-8 (often with a BOM); UTF-16 with a BOM
/// is also accepted because Windows tooling occasionally produces it.
fn decode_text(bytes: &[u8]) -> Result<String, NuspecError> {
    let utf16 = |data: &[u8], from: fn([u8; 2]) -> u16| {
        if !data.len().is_multiple_of(2) {
            return Err(NuspecError::Xml("truncated UTF-16 text".to_owned()));
        }
        let units: Vec<u16> = data.chunks_exact(2).map(|c| from([c[0], c[1]])).collect();
        String::from_utf16(&units).map_err(|_| NuspecError::Xml("invalid UTF-16 text".to_owned()))
    };
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        String::from_utf8(rest.to_vec())
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, u16::from_le_bytes);
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, u16::from_be_bytes);
    } else {
        String::from_utf8(bytes.to_vec())
    }
    .map_err(|e| NuspecError::Xml(format!("the text is not valid UTF-8 ({e})")))
}

fn xml_err(e: impl std::fmt::Display) -> NuspecError {
    NuspecError::Xml(e.to_string())
}

fn local_name(qname: &[u8]) -> Result<String, NuspecError> {
    let local = match qname.iter().rposition(|&b| b == b':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    };
    std::str::from_utf8(local).map(str::to_owned).map_err(xml_err)
}

fn start_element(start: &BytesStart<'_>) -> Result<Element, NuspecError> {
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(xml_err)?;
        // Namespace declarations are not data.
        let key = attr.key.as_ref();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            continue;
        }
        // unescape_value only knows the predefined entities and character references;
        // anything else is an error, which is exactly the policy we want.
        let value = attr.unescape_value().map_err(xml_err)?;
        attrs.push((local_name(key)?, value.into_owned()));
    }
    Ok(Element { name: local_name(start.local_name().as_ref())?, attrs, ..Element::default() })
}

/// `http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd` and its older dated siblings.
fn is_nuspec_namespace(ns: &[u8]) -> bool {
    ns.starts_with(b"http://schemas.microsoft.com/packaging/") && ns.ends_with(b"/nuspec.xsd")
}

/// Elements must be unqualified or in a nuspec schema namespace.
fn check_element_namespace(ns: &ResolveResult<'_>, start: &BytesStart<'_>) -> Result<(), NuspecError> {
    let foreign = |namespace: &[u8]| NuspecError::ForeignNamespace {
        element: String::from_utf8_lossy(start.name().as_ref()).into_owned(),
        namespace: String::from_utf8_lossy(namespace).into_owned(),
    };
    match ns {
        ResolveResult::Unbound => Ok(()),
        ResolveResult::Bound(Namespace(uri)) if is_nuspec_namespace(uri) => Ok(()),
        ResolveResult::Bound(Namespace(uri)) => Err(foreign(uri)),
        ResolveResult::Unknown(prefix) => {
            Err(NuspecError::Xml(format!("the namespace prefix '{}' is not declared", String::from_utf8_lossy(prefix))))
        }
    }
}

/// Attributes may also be `xml:…` or `xsi:…` (schema locations written by editors).
fn check_attribute_namespaces(reader: &NsReader<&[u8]>, start: &BytesStart<'_>) -> Result<(), NuspecError> {
    const ALLOWED: [&[u8]; 2] = [b"http://www.w3.org/XML/1998/namespace", b"http://www.w3.org/2001/XMLSchema-instance"];
    for attr in start.attributes() {
        let attr = attr.map_err(xml_err)?;
        let key = attr.key.as_ref();
        if key == b"xmlns" || key.starts_with(b"xmlns:") || key.starts_with(b"xml:") {
            continue;
        }
        if let (ResolveResult::Bound(Namespace(uri)), _) = reader.resolve_attribute(attr.key) {
            if !is_nuspec_namespace(uri) && !ALLOWED.contains(&uri) {
                return Err(NuspecError::ForeignNamespace {
                    element: String::from_utf8_lossy(key).into_owned(),
                    namespace: String::from_utf8_lossy(uri).into_owned(),
                });
            }
        }
    }
    Ok(())
}

fn resolve_reference(r: &BytesRef<'_>) -> Result<char, NuspecError> {
    if let Some(c) = r.resolve_char_ref().map_err(xml_err)? {
        return Ok(c);
    }
    let name = r.decode().map_err(xml_err)?;
    match name.as_ref() {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        other => Err(NuspecError::Xml(format!("unknown entity reference '&{other};'"))),
    }
}

/// Builds the element tree, enforcing the DTD ban, namespace rule, entity policy and nesting cap.
fn parse_tree(text: &str) -> Result<Element, NuspecError> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;

    let open = |stack: &Vec<Element>, root: &Option<Element>| -> Result<(), NuspecError> {
        if root.is_some() && stack.is_empty() {
            return Err(NuspecError::Xml("content after the root element".to_owned()));
        }
        if stack.len() >= MAX_DEPTH {
            return Err(NuspecError::Xml(format!("elements are nested more than {MAX_DEPTH} levels deep")));
        }
        Ok(())
    };

    loop {
        let (ns, event) = reader.read_resolved_event().map_err(xml_err)?;
        match event {
            Event::DocType(_) => return Err(NuspecError::Dtd),
            Event::Start(s) => {
                open(&stack, &root)?;
                check_element_namespace(&ns, &s)?;
                check_attribute_namespaces(&reader, &s)?;
                stack.push(start_element(&s)?);
            }
            Event::Empty(s) => {
                open(&stack, &root)?;
                check_element_namespace(&ns, &s)?;
                check_attribute_namespaces(&reader, &s)?;
                let el = start_element(&s)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                // check_end_names guarantees the end tag matches the innermost start tag.
                let el = stack.pop().ok_or_else(|| NuspecError::Xml("unexpected end tag".to_owned()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let content = t.xml10_content().map_err(xml_err)?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&content),
                    None if content.trim().is_empty() => {}
                    None => return Err(NuspecError::Xml("text outside the root element".to_owned())),
                }
            }
            Event::CData(c) => {
                let content = c.xml10_content().map_err(xml_err)?;
                stack
                    .last_mut()
                    .ok_or_else(|| NuspecError::Xml("CDATA outside the root element".to_owned()))?
                    .text
                    .push_str(&content);
            }
            Event::GeneralRef(r) => {
                let c = resolve_reference(&r)?;
                stack
                    .last_mut()
                    .ok_or_else(|| NuspecError::Xml("entity reference outside the root element".to_owned()))?
                    .text
                    .push(c);
            }
            Event::PI(pi) => {
                return Err(NuspecError::ProcessingInstruction(String::from_utf8_lossy(pi.target()).into_owned()))
            }
            Event::Comment(_) | Event::Decl(_) => {}
            Event::Eof => {
                if !stack.is_empty() {
                    return Err(NuspecError::Xml("the document ends before all elements are closed".to_owned()));
                }
                return root.ok_or_else(|| NuspecError::Xml("the document is empty".to_owned()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS_2013_05: &str = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd";

    fn wrap(ns: &str, metadata_inner: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="{ns}"><metadata>{metadata_inner}</metadata></package>"#
        )
    }

    fn with_required(extra: &str) -> String {
        wrap(
            NS_2013_05,
            &format!(
                "<id>Foo.Bar</id><version>1.2.3</version><authors>Ann</authors>\
                 <description>Desc</description>{extra}"
            ),
        )
    }

    fn parse(xml: &str) -> Result<Nuspec, NuspecError> {
        Nuspec::parse(xml.as_bytes())
    }

    fn err(xml: &str) -> NuspecError {
        parse(xml).expect_err("the nuspec should be rejected")
    }

    #[test]
    // One long fixture with every field is the point of this test.
    #[allow(clippy::too_many_lines)]
    fn full_nuspec_in_2013_05_namespace() {
        let xml = format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="{NS_2013_05}">
  <metadata minClientVersion="3.3.0">
    <id>Contoso.Utility</id>
    <version>2.0.0-beta.1+build.5</version>
    <title>Contoso Utility</title>
    <authors>Ann, Bob ,</authors>
    <owners>Contoso</owners>
    <description>
      Useful &amp; small &lt;things&gt; &#169; &#x263A; &quot;q&quot; &apos;a&apos;
    </description>
    <summary>Sum</summary>
    <releaseNotes><![CDATA[Fixed <bugs>]]></releaseNotes>
    <copyright>(c) Contoso</copyright>
    <language>en-US</language>
    <tags>one two,three , four</tags>
    <projectUrl>https://example.com/</projectUrl>
    <iconUrl>https://example.com/icon.png</iconUrl>
    <icon>images\icon.png</icon>
    <readme>docs/README.md</readme>
    <licenseUrl>https://licenses.nuget.org/MIT</licenseUrl>
    <license type="expression">MIT</license>
    <requireLicenseAcceptance>true</requireLicenseAcceptance>
    <developmentDependency>True</developmentDependency>
    <serviceable>1</serviceable>
    <repository type="git" url="https://example.com/repo.git" branch="main" commit="abc123" />
    <packageTypes>
      <packageType name="DotnetTool" />
      <packageType name="Custom" version="1.0" />
    </packageTypes>
    <dependencies>
      <group targetFramework="net8.0">
        <dependency id="Newtonsoft.Json" version="13.0.1" include="Runtime,Compile" exclude="Build" />
      </group>
      <group targetFramework=".NETStandard2.0" />
    </dependencies>
    <frameworkAssemblies>
      <frameworkAssembly assemblyName="System.Net.Http" targetFramework="net45, net46" />
    </frameworkAssemblies>
    <frameworkReferences>
      <group targetFramework="net8.0">
        <frameworkReference name="Microsoft.AspNetCore.App" />
      </group>
    </frameworkReferences>
  </metadata>
  <files><file src="x" /></files>
</package>"#
        );
        let n = parse(&xml).unwrap();
        assert_eq!(n.id.as_str(), "Contoso.Utility");
        assert_eq!(n.version.full(), "2.0.0-beta.1+build.5");
        assert_eq!(n.title.as_deref(), Some("Contoso Utility"));
        assert_eq!(n.authors, "Ann, Bob ,");
        assert_eq!(n.authors_list(), vec!["Ann", "Bob"]);
        assert_eq!(n.owners.as_deref(), Some("Contoso"));
        assert_eq!(n.description, "Useful & small <things> \u{a9} \u{263a} \"q\" 'a'");
        assert_eq!(n.summary.as_deref(), Some("Sum"));
        assert_eq!(n.release_notes.as_deref(), Some("Fixed <bugs>"));
        assert_eq!(n.copyright.as_deref(), Some("(c) Contoso"));
        assert_eq!(n.language.as_deref(), Some("en-US"));
        assert_eq!(n.tags, vec!["one", "two", "three", "four"]);
        assert_eq!(n.project_url.as_deref(), Some("https://example.com/"));
        assert_eq!(n.icon_url.as_deref(), Some("https://example.com/icon.png"));
        assert_eq!(n.icon.as_deref(), Some("images\\icon.png"));
        assert_eq!(n.readme.as_deref(), Some("docs/README.md"));
        assert_eq!(n.license_url.as_deref(), Some("https://licenses.nuget.org/MIT"));
        assert_eq!(n.license, Some(License::Expression("MIT".into())));
        assert!(n.require_license_acceptance);
        assert!(n.development_dependency);
        assert!(n.serviceable);
        assert_eq!(n.min_client_version.as_deref(), Some("3.3.0"));
        assert_eq!(
            n.repository,
            Some(Repository {
                kind: Some("git".into()),
                url: Some("https://example.com/repo.git".into()),
                branch: Some("main".into()),
                commit: Some("abc123".into()),
            })
        );
        assert_eq!(
            n.package_types,
            vec![
                PackageType { name: "DotnetTool".into(), version: None },
                PackageType { name: "Custom".into(), version: Some("1.0".into()) },
            ]
        );
        assert_eq!(n.dependency_groups.len(), 2);
        let g0 = &n.dependency_groups[0];
        assert_eq!(g0.target_framework.as_deref(), Some("net8.0"));
        assert_eq!(g0.dependencies.len(), 1);
        let d = &g0.dependencies[0];
        assert_eq!(d.id, "Newtonsoft.Json");
        assert_eq!(d.range, VersionRange::parse("13.0.1").unwrap());
        assert_eq!(d.include.as_deref(), Some("Runtime,Compile"));
        assert_eq!(d.exclude.as_deref(), Some("Build"));
        let g1 = &n.dependency_groups[1];
        assert_eq!(g1.target_framework.as_deref(), Some(".NETStandard2.0"));
        assert!(g1.dependencies.is_empty());
        assert_eq!(
            n.framework_assemblies,
            vec![FrameworkAssembly {
                assembly_name: "System.Net.Http".into(),
                target_framework: Some("net45, net46".into()),
            }]
        );
        assert_eq!(
            n.framework_references,
            vec![FrameworkReferenceGroup {
                target_framework: Some("net8.0".into()),
                references: vec!["Microsoft.AspNetCore.App".into()],
            }]
        );
        assert!(n.is_semver2());
    }

    #[test]
    fn every_schema_namespace_and_none_parse_alike() {
        for ns in [
            "http://schemas.microsoft.com/packaging/2010/07/nuspec.xsd",
            "http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd",
            "http://schemas.microsoft.com/packaging/2012/06/nuspec.xsd",
            "http://schemas.microsoft.com/packaging/2013/01/nuspec.xsd",
            NS_2013_05,
        ] {
            let n =
                parse(&wrap(ns, "<id>A</id><version>1.0</version><authors>x</authors><description>d</description>"))
                    .unwrap();
            assert_eq!(n.id.as_str(), "A", "namespace {ns}");
        }
        let plain = "<package><metadata><id>A</id><version>1.0</version>\
                     <authors>x</authors><description>d</description></metadata></package>";
        let n = parse(plain).unwrap();
        assert_eq!(n.version.normalized(), "1.0.0");
        assert!(n.tags.is_empty());
        assert!(n.package_types.is_empty());
        assert!(n.dependency_groups.is_empty());
        assert_eq!(n.license, None);
        assert!(!n.require_license_acceptance);
        assert!(!n.is_semver2());
    }

    #[test]
    fn prefixed_elements_match_by_local_name() {
        let xml = r#"<n:package xmlns:n="http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd"><n:metadata n:minClientVersion="2.12">
            <n:id>A</n:id><n:version>1.0</n:version><n:authors>x</n:authors>
            <n:description>d</n:description></n:metadata></n:package>"#;
        let n = parse(xml).unwrap();
        assert_eq!(n.id.as_str(), "A");
        assert_eq!(n.min_client_version.as_deref(), Some("2.12"));
    }

    #[test]
    fn utf8_bom_and_utf16_are_accepted() {
        let xml = with_required("");
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(xml.as_bytes());
        assert_eq!(Nuspec::parse(&bom).unwrap().id.as_str(), "Foo.Bar");

        let mut le = vec![0xFF, 0xFE];
        le.extend(xml.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(Nuspec::parse(&le).unwrap().id.as_str(), "Foo.Bar");
    }

    #[test]
    fn flat_dependencies_form_one_untargeted_group() {
        let n = parse(&with_required(
            r#"<dependencies><dependency id="A" version="[1.0,2.0)"/><dependency id="B" version="3.0.0"/></dependencies>"#,
        ))
        .unwrap();
        assert_eq!(n.dependency_groups.len(), 1);
        assert_eq!(n.dependency_groups[0].target_framework, None);
        let ids: Vec<_> = n.dependency_groups[0].dependencies.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["A", "B"]);
    }

    #[test]
    fn groups_win_over_stray_flat_dependencies() {
        let n = parse(&with_required(
            r#"<dependencies><dependency id="Flat"/><group><dependency id="G"/></group></dependencies>"#,
        ))
        .unwrap();
        assert_eq!(n.dependency_groups.len(), 1);
        assert_eq!(n.dependency_groups[0].target_framework, None);
        assert_eq!(n.dependency_groups[0].dependencies[0].id, "G");
    }

    #[test]
    fn empty_dependency_version_means_all_versions() {
        // NUnit.Mocks 2.6.4 declares its NUnit dependency like this.
        let n = parse(&with_required(
            r#"<dependencies><dependency id="NUnit" version="" /><dependency id="Other" /></dependencies>"#,
        ))
        .unwrap();
        for d in &n.dependency_groups[0].dependencies {
            assert_eq!(d.range, VersionRange::parse("").unwrap());
        }
    }

    #[test]
    fn semver2_dependency_range_makes_package_semver2() {
        let n = parse(&with_required(r#"<dependencies><dependency id="A" version="1.0.0-beta.1"/></dependencies>"#))
            .unwrap();
        assert!(!n.version.is_semver2());
        assert!(n.is_semver2());
    }

    #[test]
    fn empty_dependencies_element_has_no_groups() {
        let n = parse(&with_required("<dependencies />")).unwrap();
        assert!(n.dependency_groups.is_empty());
    }

    #[test]
    fn tags_split_on_commas_and_spaces() {
        let n = parse(&with_required("<tags> a,b  c,,d\te\n f ,</tags>")).unwrap();
        assert_eq!(n.tags, ["a", "b", "c", "d", "e", "f"]);
    }

    #[test]
    fn license_file() {
        let n = parse(&with_required(r#"<license type="file">LICENSE.txt</license>"#)).unwrap();
        assert_eq!(n.license, Some(License::File("LICENSE.txt".into())));
    }

    #[test]
    fn error_not_xml() {
        let e = err("this is not xml <package");
        assert!(matches!(e, NuspecError::Xml(_)), "{e:?}");
        assert!(e.to_string().starts_with("the .nuspec file is not well-formed XML: "));
    }

    #[test]
    fn error_unclosed_or_mismatched_elements() {
        assert!(matches!(err("<package><metadata></package>"), NuspecError::Xml(_)));
        assert!(matches!(err("<package><metadata>"), NuspecError::Xml(_)));
        assert!(matches!(err(""), NuspecError::Xml(_)));
        assert!(matches!(err("<package/><package/>"), NuspecError::Xml(_)));
        assert!(matches!(err("<other/>"), NuspecError::Xml(_)));
    }

    #[test]
    fn error_not_utf8() {
        let e = Nuspec::parse(b"<package>\xC3\x28</package>").unwrap_err();
        assert!(matches!(e, NuspecError::Xml(_)), "{e:?}");
    }

    #[test]
    fn error_unknown_entity() {
        let e = err(&with_required("<title>&nbsp;</title>"));
        assert_eq!(e.to_string(), "the .nuspec file is not well-formed XML: unknown entity reference '&nbsp;'");
        let e = err(&wrap(
            NS_2013_05,
            r#"<id>A</id><version>1.0</version><authors>x</authors><description>d</description><repository url="&foo;"/>"#,
        ));
        assert!(matches!(e, NuspecError::Xml(_)), "{e:?}");
    }

    #[test]
    fn error_dtd_billion_laughs() {
        let xml = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<package><metadata><id>&lol2;</id></metadata></package>"#;
        let e = err(xml);
        assert_eq!(e, NuspecError::Dtd);
        assert_eq!(e.to_string(), "the .nuspec file contains a DTD, which is not allowed");
        // An external-entity DOCTYPE is refused the same way.
        assert_eq!(err(r#"<!DOCTYPE package SYSTEM "file:///etc/passwd"><package/>"#), NuspecError::Dtd);
    }

    #[test]
    fn error_no_metadata() {
        let e = err(r"<package><files/></package>");
        assert_eq!(e.to_string(), "the .nuspec file has no <metadata> element");
    }

    #[test]
    fn error_missing_each_required_element() {
        let parts = [
            ("id", "<id>A</id>"),
            ("version", "<version>1.0</version>"),
            ("authors", "<authors>x</authors>"),
            ("description", "<description>d</description>"),
        ];
        for (missing, _) in parts {
            let inner: String = parts.iter().filter(|(n, _)| *n != missing).map(|(_, x)| *x).collect();
            let e = err(&wrap(NS_2013_05, &inner));
            assert_eq!(e, NuspecError::Missing(missing));
            assert_eq!(e.to_string(), format!("the .nuspec file is missing the required <{missing}> element"));
            // Blank text counts as missing too.
            let blank: String = parts
                .iter()
                .map(|(n, x)| if *n == missing { format!("<{n}>  </{n}>") } else { (*x).to_owned() })
                .collect();
            assert_eq!(err(&wrap(NS_2013_05, &blank)), NuspecError::Missing(missing));
        }
    }

    #[test]
    fn error_invalid_id() {
        let e = err(&wrap(
            NS_2013_05,
            "<id>bad id</id><version>1.0</version><authors>x</authors><description>d</description>",
        ));
        assert_eq!(
            e.to_string(),
            "'bad id' is not a valid package id: the package id contains ' '; \
             only letters, digits, '.', '-' and '_' are allowed"
        );
    }

    #[test]
    fn error_invalid_version() {
        let e = err(&wrap(
            NS_2013_05,
            "<id>A</id><version>1.0.0.0.0</version><authors>x</authors><description>d</description>",
        ));
        assert!(matches!(e, NuspecError::InvalidVersion(_)));
        assert_eq!(e.to_string(), "'1.0.0.0.0' is not a valid version string");
    }

    #[test]
    fn error_dependency_without_id() {
        let e = err(&with_required(r#"<dependencies><dependency version="1.0"/></dependencies>"#));
        assert_eq!(e.to_string(), "a <dependency> element has no id attribute");
    }

    #[test]
    fn error_invalid_dependency_range() {
        let e = err(&with_required(
            r#"<dependencies><group targetFramework="net8.0"><dependency id="A" version="[1.0"/></group></dependencies>"#,
        ));
        assert_eq!(e.to_string(), "dependency 'A' has an invalid version range '[1.0'");
    }

    #[test]
    fn error_invalid_license_type() {
        let e = err(&with_required(r#"<license type="url">x</license>"#));
        assert_eq!(e.to_string(), "the <license> element has an unknown type 'url'; use 'expression' or 'file'");
    }

    #[test]
    fn error_excessive_nesting() {
        let deep = "<a>".repeat(10_000);
        let e = err(&format!("<package>{deep}"));
        assert!(e.to_string().contains("nested more than 64"), "{e}");
    }

    #[test]
    fn error_xhtml_script_after_metadata() {
        let xml = format!(
            r#"<package xmlns="{NS_2013_05}"><metadata><id>A</id><version>1.0</version><authors>x</authors>
            <description>d</description></metadata>
            <h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script></package>"#
        );
        assert_eq!(
            err(&xml).to_string(),
            "the .nuspec file contains <h:script> in the namespace 'http://www.w3.org/1999/xhtml'; only the \
             nuspec schema namespaces are allowed"
        );
    }

    #[test]
    fn error_foreign_default_namespace_and_svg_inside_metadata() {
        let xhtml_root = "<package xmlns=\"http://www.w3.org/1999/xhtml\"><metadata/></package>";
        assert!(matches!(err(xhtml_root), NuspecError::ForeignNamespace { .. }));
        let svg = with_required(r#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#);
        assert!(matches!(err(&svg), NuspecError::ForeignNamespace { ref element, .. } if element == "svg"));
        let attr = with_required(r#"<tags xmlns:h="http://www.w3.org/1999/xhtml" h:onclick="x">a</tags>"#);
        assert!(matches!(err(&attr), NuspecError::ForeignNamespace { .. }));
    }

    #[test]
    fn schema_location_attributes_are_allowed() {
        let xml = format!(
            r#"<package xmlns="{NS_2013_05}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
               xsi:schemaLocation="{NS_2013_05} nuspec.xsd"><metadata><id>A</id><version>1.0</version>
               <authors>x</authors><description>d</description></metadata></package>"#
        );
        assert_eq!(parse(&xml).unwrap().id.as_str(), "A");
    }

    #[test]
    fn error_stylesheet_processing_instruction() {
        let xml = format!("<?xml-stylesheet type=\"text/xsl\" href=\"x.xsl\"?>{}", with_required(""));
        assert_eq!(
            err(&xml).to_string(),
            "the .nuspec file contains the processing instruction <?xml-stylesheet?>, which is not allowed"
        );
    }

    #[test]
    fn error_urls_that_are_not_absolute_http() {
        for field in ["projectUrl", "iconUrl", "licenseUrl"] {
            for bad in ["javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "/relative"] {
                let e = err(&with_required(&format!("<{field}>{bad}</{field}>")));
                assert_eq!(e.to_string(), format!("the <{field}> '{bad}' is not an absolute http or https URL"));
            }
            let ok = parse(&with_required(&format!("<{field}>https://example.com/x</{field}>"))).unwrap();
            assert!(ok.project_url.or(ok.icon_url).or(ok.license_url).is_some());
        }
    }
}

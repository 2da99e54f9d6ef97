//! Reading the XML into a small element tree, refusing what a manifest never needs: DTDs,
//! entities beyond the predefined five, foreign namespaces, processing instructions, and nesting
//! deeper than a manifest goes.
use super::NuspecError;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::NsReader;

/// Deeper nesting than this is never a real manifest (the deepest legitimate path is
/// package/metadata/dependencies/group/dependency); the cap keeps a hostile file from
/// building a tree whose recursive drop could exhaust the stack.
const MAX_DEPTH: usize = 64;

/// A minimal element tree: local names only, attributes already unescaped, text of
/// direct text/CDATA children concatenated (not yet trimmed).
#[derive(Debug, Default)]
pub(super) struct Element {
    pub(super) name: String,
    pub(super) attrs: Vec<(String, String)>,
    pub(super) text: String,
    pub(super) children: Vec<Element>,
}

impl Element {
    pub(super) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(super) fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Trimmed text of the first child so named; `None` when absent or blank, since an
    /// empty element says nothing more than a missing one.
    pub(super) fn child_text(&self, name: &str) -> Option<String> {
        let text = self.child(name)?.text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    }

    pub(super) fn required_text(&self, name: &'static str) -> Result<String, NuspecError> {
        self.child_text(name).ok_or(NuspecError::Missing(name))
    }

    /// `xs:boolean` accepts `true`/`1`; anything else (including absence) is false.
    pub(super) fn child_bool(&self, name: &str) -> bool {
        self.child_text(name).is_some_and(|t| t.eq_ignore_ascii_case("true") || t == "1")
    }

    /// Trimmed attribute value by local name; `None` when absent or blank.
    pub(super) fn attr(&self, name: &str) -> Option<String> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty()).map(str::to_owned)
    }
}

/// Turns raw bytes into text. NuGet writes UTF-8 (often with a BOM); UTF-16 with a BOM
/// is also accepted because Windows tooling occasionally produces it.
pub(super) fn decode_text(bytes: &[u8]) -> Result<String, NuspecError> {
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
pub(super) fn parse_tree(text: &str) -> Result<Element, NuspecError> {
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

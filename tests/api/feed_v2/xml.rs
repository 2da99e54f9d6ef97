//! A small namespace-aware XML tree built with quick-xml, so the tests read the feed the way a
//! client does (by namespace URI and local name) and every escape is undone by a real parser.
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

pub const ATOM: &str = "http://www.w3.org/2005/Atom";
pub const D: &str = "http://schemas.microsoft.com/ado/2007/08/dataservices";
pub const M: &str = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata";
pub const APP: &str = "http://www.w3.org/2007/app";

#[derive(Debug, Clone, Default)]
pub struct Attr {
    /// The name as written (`m:type`, `xml:base`).
    pub qname: String,
    pub ns: String,
    pub local: String,
    pub value: String,
}

#[derive(Debug, Clone, Default)]
pub struct Node {
    pub ns: String,
    pub name: String,
    pub attrs: Vec<Attr>,
    pub children: Vec<Node>,
    pub text: String,
}

impl Node {
    pub fn children(&self, ns: &str, name: &str) -> Vec<&Node> {
        self.children.iter().filter(|c| c.ns == ns && c.name == name).collect()
    }

    pub fn child(&self, ns: &str, name: &str) -> &Node {
        self.children
            .iter()
            .find(|c| c.ns == ns && c.name == name)
            .unwrap_or_else(|| panic!("<{}> has no <{name}> in {ns}", self.name))
    }

    pub fn has_child(&self, ns: &str, name: &str) -> bool {
        self.children.iter().any(|c| c.ns == ns && c.name == name)
    }

    /// An attribute by the name as written.
    pub fn attr(&self, qname: &str) -> Option<&str> {
        self.attrs.iter().find(|a| a.qname == qname).map(|a| a.value.as_str())
    }

    pub fn attr_ns(&self, ns: &str, local: &str) -> Option<&str> {
        self.attrs.iter().find(|a| a.ns == ns && a.local == local).map(|a| a.value.as_str())
    }

    /// `<link rel="…">`'s href among the children.
    pub fn link(&self, rel: &str) -> Option<&str> {
        self.children(ATOM, "link").into_iter().find(|l| l.attr("rel") == Some(rel)).and_then(|l| l.attr("href"))
    }

    /// The entries of a feed.
    pub fn entries(&self) -> Vec<&Node> {
        self.children(ATOM, "entry")
    }

    /// `d:Name` inside `m:properties` of an entry.
    pub fn prop(&self, name: &str) -> &Node {
        self.child(M, "properties").child(D, name)
    }

    pub fn prop_text(&self, name: &str) -> &str {
        &self.prop(name).text
    }
}

fn namespace(r: &ResolveResult<'_>) -> String {
    match r {
        ResolveResult::Bound(ns) => String::from_utf8(ns.as_ref().to_vec()).unwrap(),
        _ => String::new(),
    }
}

fn node(reader: &NsReader<&[u8]>, ns: String, start: &quick_xml::events::BytesStart<'_>) -> Node {
    let attrs = start
        .attributes()
        .map(|a| {
            let a = a.unwrap();
            let (resolved, local) = reader.resolve_attribute(a.key);
            Attr {
                qname: String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                ns: namespace(&resolved),
                local: String::from_utf8(local.as_ref().to_vec()).unwrap(),
                value: a.unescape_value().unwrap().into_owned(),
            }
        })
        .collect();
    Node { ns, name: String::from_utf8(start.local_name().as_ref().to_vec()).unwrap(), attrs, ..Node::default() }
}

/// Parses a whole document; panics (failing the test) on anything malformed.
pub fn parse(bytes: &[u8]) -> Node {
    let text = std::str::from_utf8(bytes).expect("the document is UTF-8");
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        let (resolved, event) = reader.read_resolved_event().expect("well-formed XML");
        let ns = namespace(&resolved);
        match event {
            Event::Start(e) => {
                let n = node(&reader, ns, &e);
                stack.push(n);
            }
            Event::Empty(e) => {
                let n = node(&reader, ns, &e);
                stack.last_mut().unwrap().children.push(n);
            }
            Event::End(_) => {
                let done = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(done);
            }
            Event::Text(t) => stack.last_mut().unwrap().text.push_str(&t.decode().unwrap()),
            Event::CData(t) => stack.last_mut().unwrap().text.push_str(&t.decode().unwrap()),
            Event::GeneralRef(r) => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().unwrap().expect("a character reference")
                } else {
                    match r.decode().unwrap().as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => panic!("unknown entity &{other};"),
                    }
                };
                stack.last_mut().unwrap().text.push(c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut root = stack.pop().unwrap();
    assert!(stack.is_empty(), "unclosed elements");
    assert_eq!(root.children.len(), 1, "one root element");
    root.children.pop().unwrap()
}

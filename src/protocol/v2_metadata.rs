//! The v2 feed's service document (`/api/v2/`) and its EDMX (`/api/v2/$metadata`). nuget.exe
//! reads `$metadata` to learn whether the feed has `Search` and `IsAbsoluteLatestVersion`.
use super::urls::UrlGenerator;
use super::v2_properties::Property;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use std::io;

pub const CONTENT_TYPE: &str = "application/xml;charset=utf-8";

fn start<'a>(name: &'a str, attributes: &[(&'a str, &'a str)]) -> BytesStart<'a> {
    BytesStart::new(name).with_attributes(attributes.iter().copied())
}

fn decl(w: &mut Writer<Vec<u8>>) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
}

/// The Atom Publishing service document: one collection, `Packages`.
pub fn service_document(urls: &UrlGenerator) -> io::Result<Vec<u8>> {
    let mut w = Writer::new(Vec::new());
    decl(&mut w)?;
    let base = urls.v2_root();
    w.write_event(Event::Start(start(
        "service",
        &[("xml:base", &base), ("xmlns", "http://www.w3.org/2007/app"), ("xmlns:atom", "http://www.w3.org/2005/Atom")],
    )))?;
    w.write_event(Event::Start(BytesStart::new("workspace")))?;
    w.create_element("atom:title").write_text_content(BytesText::new("Default"))?;
    w.create_element("collection").with_attribute(("href", "Packages")).write_inner_content(|w| {
        w.create_element("atom:title").write_text_content(BytesText::new("Packages"))?;
        Ok(())
    })?;
    w.write_event(Event::End(BytesEnd::new("workspace")))?;
    w.write_event(Event::End(BytesEnd::new("service")))?;
    Ok(w.into_inner())
}

/// Function imports and their parameters (name, EDM type).
const FUNCTIONS: [(&str, &[(&str, &str)]); 3] = [
    (
        "Search",
        &[("searchTerm", "Edm.String"), ("targetFramework", "Edm.String"), ("includePrerelease", "Edm.Boolean")],
    ),
    ("FindPackagesById", &[("id", "Edm.String")]),
    (
        "GetUpdates",
        &[
            ("packageIds", "Edm.String"),
            ("versions", "Edm.String"),
            ("includePrerelease", "Edm.Boolean"),
            ("includeAllVersions", "Edm.Boolean"),
            ("targetFrameworks", "Edm.String"),
            ("versionConstraints", "Edm.String"),
        ],
    ),
];

/// The EDMX describing `V2FeedPackage`, the `Packages` set and the function imports.
pub fn metadata() -> io::Result<Vec<u8>> {
    let mut w = Writer::new(Vec::new());
    decl(&mut w)?;
    let m = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata";
    let edm = "http://schemas.microsoft.com/ado/2006/04/edm";
    w.write_event(Event::Start(start(
        "edmx:Edmx",
        &[("Version", "1.0"), ("xmlns:edmx", "http://schemas.microsoft.com/ado/2007/06/edmx")],
    )))?;
    w.write_event(Event::Start(start(
        "edmx:DataServices",
        &[("xmlns:m", m), ("m:DataServiceVersion", "2.0"), ("m:MaxDataServiceVersion", "2.0")],
    )))?;
    w.write_event(Event::Start(start("Schema", &[("Namespace", "NuGetGallery.OData"), ("xmlns", edm)])))?;
    w.write_event(Event::Start(start("EntityType", &[("Name", "V2FeedPackage"), ("m:HasStream", "true")])))?;
    w.create_element("Key").write_inner_content(|w| {
        w.create_element("PropertyRef").with_attribute(("Name", "Id")).write_empty()?;
        w.create_element("PropertyRef").with_attribute(("Name", "Version")).write_empty()?;
        Ok(())
    })?;
    for p in Property::ALL {
        w.create_element("Property")
            .with_attributes([
                ("Name", p.name()),
                ("Type", p.edm_type().name()),
                ("Nullable", if p.nullable() { "true" } else { "false" }),
            ])
            .write_empty()?;
    }
    w.write_event(Event::End(BytesEnd::new("EntityType")))?;
    w.write_event(Event::End(BytesEnd::new("Schema")))?;
    w.write_event(Event::Start(start("Schema", &[("Namespace", "NuGetGallery"), ("xmlns", edm)])))?;
    w.write_event(Event::Start(start(
        "EntityContainer",
        &[("Name", "V2FeedContext"), ("m:IsDefaultEntityContainer", "true")],
    )))?;
    w.create_element("EntitySet")
        .with_attributes([("Name", "Packages"), ("EntityType", "NuGetGallery.OData.V2FeedPackage")])
        .write_empty()?;
    for (name, parameters) in FUNCTIONS {
        w.create_element("FunctionImport")
            .with_attributes([
                ("Name", name),
                ("ReturnType", "Collection(NuGetGallery.OData.V2FeedPackage)"),
                ("EntitySet", "Packages"),
                ("m:HttpMethod", "GET"),
            ])
            .write_inner_content(|w| {
                for (parameter, kind) in parameters {
                    w.create_element("Parameter")
                        .with_attributes([("Name", *parameter), ("Type", *kind), ("Mode", "In")])
                        .write_empty()?;
                }
                Ok(())
            })?;
    }
    w.write_event(Event::End(BytesEnd::new("EntityContainer")))?;
    w.write_event(Event::End(BytesEnd::new("Schema")))?;
    w.write_event(Event::End(BytesEnd::new("edmx:DataServices")))?;
    w.write_event(Event::End(BytesEnd::new("edmx:Edmx")))?;
    Ok(w.into_inner())
}

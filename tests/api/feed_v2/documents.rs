//! The service document, `$metadata`, the v3 index's `LegacyGallery` entries, and the exact shape
//! of feeds and entries: namespaces, typed properties, nulls, dates, dependencies, escaping.
use super::xml::{self, Node, APP, ATOM, D, M};
use super::{feed, get, seed, CORE_DESCRIPTION, CORE_NOTES, CORE_TITLE};
use crate::helpers::spawn_app;

#[test]
fn service_document_with_and_without_slash() {
    let app = spawn_app();
    for path in ["/api/v2/", "/api/v2"] {
        let a = get(&app, path);
        assert_eq!(a.status, 200, "{path}");
        assert_eq!(a.content_type, "application/xml;charset=utf-8");
        let root = xml::parse(&a.body);
        assert_eq!((root.ns.as_str(), root.name.as_str()), (APP, "service"));
        assert_eq!(root.attr("xml:base"), Some(format!("{}/api/v2/", app.base).as_str()));
        let workspace = root.child(APP, "workspace");
        assert_eq!(workspace.child(ATOM, "title").text, "Default");
        let collection = workspace.child(APP, "collection");
        assert_eq!(collection.attr("href"), Some("Packages"));
        assert_eq!(collection.child(ATOM, "title").text, "Packages");
    }
}

#[test]
fn metadata_describes_the_entity_and_the_functions() {
    let app = spawn_app();
    let a = get(&app, "/api/v2/$metadata");
    assert_eq!(a.status, 200);
    assert_eq!(a.content_type, "application/xml;charset=utf-8");
    let root = xml::parse(&a.body);
    let edmx = "http://schemas.microsoft.com/ado/2007/06/edmx";
    let edm = "http://schemas.microsoft.com/ado/2006/04/edm";
    assert_eq!((root.ns.as_str(), root.name.as_str()), (edmx, "Edmx"));
    let services = root.child(edmx, "DataServices");
    assert_eq!(services.attr_ns(M, "DataServiceVersion"), Some("2.0"));
    let schemas = services.children(edm, "Schema");
    let entity = schemas[0].child(edm, "EntityType");
    assert_eq!(entity.attr("Name"), Some("V2FeedPackage"));
    let keys: Vec<&str> =
        entity.child(edm, "Key").children(edm, "PropertyRef").iter().map(|k| k.attr("Name").unwrap()).collect();
    assert_eq!(keys, ["Id", "Version"]);
    let types: Vec<(&str, &str)> =
        entity.children(edm, "Property").iter().map(|p| (p.attr("Name").unwrap(), p.attr("Type").unwrap())).collect();
    for expected in [
        ("Id", "Edm.String"),
        ("Version", "Edm.String"),
        ("NormalizedVersion", "Edm.String"),
        ("IsLatestVersion", "Edm.Boolean"),
        ("IsAbsoluteLatestVersion", "Edm.Boolean"),
        ("DownloadCount", "Edm.Int32"),
        ("VersionDownloadCount", "Edm.Int32"),
        ("PackageSize", "Edm.Int64"),
        ("Published", "Edm.DateTime"),
        ("Dependencies", "Edm.String"),
        ("Listed", "Edm.Boolean"),
    ] {
        assert!(types.contains(&expected), "{expected:?} missing from {types:?}");
    }
    let container = schemas[1].child(edm, "EntityContainer");
    let set = container.child(edm, "EntitySet");
    assert_eq!(
        (set.attr("Name"), set.attr("EntityType")),
        (Some("Packages"), Some("NuGetGallery.OData.V2FeedPackage"))
    );
    let functions: Vec<(&str, Vec<&str>)> = container
        .children(edm, "FunctionImport")
        .iter()
        .map(|f| {
            (f.attr("Name").unwrap(), f.children(edm, "Parameter").iter().map(|p| p.attr("Name").unwrap()).collect())
        })
        .collect();
    assert_eq!(
        functions,
        vec![
            ("Search", vec!["searchTerm", "targetFramework", "includePrerelease"]),
            ("FindPackagesById", vec!["id"]),
            (
                "GetUpdates",
                vec![
                    "packageIds",
                    "versions",
                    "includePrerelease",
                    "includeAllVersions",
                    "targetFrameworks",
                    "versionConstraints"
                ]
            ),
        ]
    );
}

#[test]
fn the_v3_index_points_legacy_gallery_at_the_v2_root() {
    let app = spawn_app();
    let index = app.get_json("/v3/index.json");
    let v2 = format!("{}/api/v2/", app.base);
    for kind in ["LegacyGallery", "LegacyGallery/2.0.0"] {
        let found = index["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["@type"] == kind)
            .unwrap_or_else(|| panic!("{kind}"));
        assert_eq!(found["@id"], v2.as_str());
    }
}

/// Every property nuget.org types, with the type clients parse it as; the rest carry no m:type.
const TYPED: [(&str, &str); 13] = [
    ("Created", "Edm.DateTime"),
    ("DownloadCount", "Edm.Int32"),
    ("IsLatestVersion", "Edm.Boolean"),
    ("IsAbsoluteLatestVersion", "Edm.Boolean"),
    ("IsPrerelease", "Edm.Boolean"),
    ("LastUpdated", "Edm.DateTime"),
    ("Published", "Edm.DateTime"),
    ("PackageSize", "Edm.Int64"),
    ("RequireLicenseAcceptance", "Edm.Boolean"),
    ("VersionDownloadCount", "Edm.Int32"),
    ("LastEdited", "Edm.DateTime"),
    ("Listed", "Edm.Boolean"),
    ("DevelopmentDependency", "Edm.Boolean"),
];

fn is_edm_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    let base = b.len() >= 19
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    base && (b.len() == 19 || (b[19] == b'.' && (21..=23).contains(&b.len()) && digits(20..b.len())))
}

fn check_types(entry: &Node) {
    for p in &entry.child(M, "properties").children {
        assert_eq!(p.ns, D, "{}", p.name);
        let expected = TYPED.iter().find(|(name, _)| *name == p.name).map(|(_, t)| *t);
        assert_eq!(p.attr_ns(M, "type"), expected, "m:type of {}", p.name);
        if expected == Some("Edm.DateTime") {
            assert!(is_edm_datetime(&p.text), "{} = {}", p.name, p.text);
        }
        if expected == Some("Edm.Boolean") {
            assert!(p.text == "true" || p.text == "false", "{} = {}", p.name, p.text);
        }
        if matches!(expected, Some("Edm.Int32" | "Edm.Int64")) {
            p.text.parse::<i64>().unwrap_or_else(|_| panic!("{} = {}", p.name, p.text));
        }
    }
}

#[test]
fn a_feed_has_the_atom_shape_typed_properties_and_round_trips_its_text() {
    let app = spawn_app();
    seed(&app);
    let f = feed(&app, "/api/v2/Packages()?$filter=Id%20eq%20'Acme.Core'%20and%20Version%20eq%20'1.0.0'");
    let v2 = format!("{}/api/v2/", app.base);
    assert_eq!(f.attr("xml:base"), Some(v2.as_str()));
    for (prefix, ns) in [("xmlns", ATOM), ("xmlns:d", D), ("xmlns:m", M)] {
        assert_eq!(f.attr(prefix), Some(ns), "{prefix}");
    }
    assert_eq!(f.child(ATOM, "id").text, format!("{v2}Packages"));
    let title = f.child(ATOM, "title");
    assert_eq!((title.attr("type"), title.text.as_str()), (Some("text"), "Packages"));
    assert!(f.child(ATOM, "updated").text.ends_with('Z'));
    assert_eq!(f.link("self"), Some(format!("{v2}Packages").as_str()));
    assert_eq!(f.link("next"), None);
    assert!(!f.has_child(M, "count"), "m:count only when asked for");

    let entries = f.entries();
    assert_eq!(entries.len(), 1);
    let e = entries[0];
    let url = format!("{v2}Packages(Id='Acme.Core',Version='1.0.0')");
    assert_eq!(e.child(ATOM, "id").text, url);
    assert_eq!(e.child(ATOM, "title").text, "Acme.Core");
    assert_eq!(e.child(ATOM, "summary").text, "Acme core & friends");
    assert_eq!(e.child(ATOM, "author").child(ATOM, "name").text, "Zoë Müller, Jürgen Ø. Ångström");
    let content = e.child(ATOM, "content");
    assert_eq!(content.attr("type"), Some("application/zip"));
    assert_eq!(content.attr("src"), Some(format!("{v2}package/Acme.Core/1.0.0").as_str()));
    check_types(e);

    assert_eq!(e.prop_text("Title"), CORE_TITLE);
    assert_eq!(e.prop_text("Description"), CORE_DESCRIPTION);
    assert_eq!(e.prop_text("ReleaseNotes"), CORE_NOTES);
    assert_eq!(e.prop_text("Copyright"), "© 2024 Zoë");
    assert_eq!(e.prop_text("ProjectUrl"), "https://example.com/acme?x=1&y=2");
    assert_eq!(e.prop_text("Tags"), "acme core test");
    assert_eq!(e.prop_text("NormalizedVersion"), "1.0.0");
    assert_eq!(e.prop_text("Dependencies"), "");
    assert_eq!(e.prop_text("IsLatestVersion"), "false");
    assert_eq!(e.prop_text("IsAbsoluteLatestVersion"), "false");
    assert_eq!(e.prop_text("Listed"), "true");
    assert_eq!(e.prop_text("PackageHashAlgorithm"), "SHA512");
    assert_eq!(e.prop_text("PackageSize"), super::core_1_0_0().len().to_string());
    assert_eq!(e.prop_text("DownloadCount"), "0");
    assert_eq!(e.prop_text("Owners"), "alice");
    assert_eq!(e.prop_text("GalleryDetailsUrl"), format!("{}/packages/Acme.Core/1.0.0", app.base));
    let language = e.prop("Language");
    assert_eq!((language.attr_ns(M, "null"), language.text.as_str()), (Some("true"), ""));
    assert_eq!(e.prop("MinClientVersion").attr_ns(M, "null"), Some("true"));
    assert_eq!(e.prop("Published").text, e.prop("Created").text);
}

#[test]
fn dependencies_are_flattened_like_nuget_org() {
    let app = spawn_app();
    seed(&app);
    let f = feed(&app, "/api/v2/FindPackagesById()?id='Acme.App'");
    let e = f.entries()[0];
    assert_eq!(e.prop_text("Dependencies"), "Acme.Core:[1.0.0, ):net6.0|::netstandard2.0");
    // A property without a value is typed null, never an empty element.
    for name in ["Title", "Summary", "Copyright", "ReleaseNotes", "ProjectUrl", "IconUrl", "LicenseUrl"] {
        assert_eq!(e.prop(name).attr_ns(M, "null"), Some("true"), "{name}");
    }
    check_types(e);
}

#[test]
fn a_standalone_entry_has_its_namespaces() {
    let app = spawn_app();
    seed(&app);
    let a = get(&app, "/api/v2/Packages(Id='Acme.Core',Version='1.0.0')");
    assert_eq!(a.status, 200);
    assert_eq!(a.content_type, super::ENTRY_TYPE);
    let e = xml::parse(&a.body);
    assert_eq!((e.ns.as_str(), e.name.as_str()), (ATOM, "entry"));
    assert_eq!(e.attr("xmlns:d"), Some(D));
    assert_eq!(e.attr("xmlns:m"), Some(M));
    assert_eq!(e.prop_text("Title"), CORE_TITLE);
    check_types(&e);
}

#[test]
fn select_restricts_the_properties() {
    let app = spawn_app();
    seed(&app);
    let f = feed(&app, "/api/v2/Packages()?$filter=IsLatestVersion&$select=Id,Version,IsLatestVersion");
    for e in f.entries() {
        let names: Vec<&str> = e.child(M, "properties").children.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Id", "Version", "IsLatestVersion"]);
        assert!(e.has_child(ATOM, "content"), "the download link stays");
    }
}

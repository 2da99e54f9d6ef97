//! The nuspec reader against real manifests of every schema version and hostile ones.
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
        let n = parse(&wrap(ns, "<id>A</id><version>1.0</version><authors>x</authors><description>d</description>"))
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
    let n =
        parse(&with_required(r#"<dependencies><dependency id="A" version="1.0.0-beta.1"/></dependencies>"#)).unwrap();
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
        let blank: String =
            parts.iter().map(|(n, x)| if *n == missing { format!("<{n}>  </{n}>") } else { (*x).to_owned() }).collect();
        assert_eq!(err(&wrap(NS_2013_05, &blank)), NuspecError::Missing(missing));
    }
}

#[test]
fn error_invalid_id() {
    let e =
        err(&wrap(NS_2013_05, "<id>bad id</id><version>1.0</version><authors>x</authors><description>d</description>"));
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

//! The `<metadata>` rules: which elements are required, how each is read, and what makes a
//! value invalid (ids, versions, ranges, URLs, licenses, dependency groups).
use super::xml_tree::Element;
use super::{
    Dependency, DependencyGroup, FrameworkAssembly, FrameworkReferenceGroup, License, Nuspec, NuspecError, PackageType,
    Repository,
};
use crate::domain::id::PackageId;
use crate::domain::version::NuGetVersion;
use crate::domain::version_range::VersionRange;

/// `described`: whether `<authors>` and `<description>` are required (a symbol package's
/// manifest has neither).
pub(super) fn from_metadata(m: &Element, described: bool) -> Result<Nuspec, NuspecError> {
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

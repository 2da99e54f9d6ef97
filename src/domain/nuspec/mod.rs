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

use serde::Serialize;

use crate::domain::id::{IdError, PackageId};
use crate::domain::version::{NuGetVersion, VersionError};
use crate::domain::version_range::VersionRange;

mod metadata;
mod xml_tree;

use metadata::from_metadata;
use xml_tree::{decode_text, parse_tree};

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

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

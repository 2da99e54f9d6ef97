//! The properties of the v2 feed's `V2FeedPackage` entity: names, EDM types and nullability, in
//! the order nuget.org writes them. `$metadata`, `$select`, `$orderby`, `$filter` and the Atom
//! writer all read this one table.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EdmType {
    String,
    Int32,
    Int64,
    Boolean,
    DateTime,
}

impl EdmType {
    pub fn name(self) -> &'static str {
        match self {
            EdmType::String => "Edm.String",
            EdmType::Int32 => "Edm.Int32",
            EdmType::Int64 => "Edm.Int64",
            EdmType::Boolean => "Edm.Boolean",
            EdmType::DateTime => "Edm.DateTime",
        }
    }
}

macro_rules! properties {
    ($($variant:ident: $edm:ident, $nullable:expr;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Property {
            $($variant,)*
        }

        impl Property {
            pub const ALL: &'static [Property] = &[$(Property::$variant,)*];

            pub fn name(self) -> &'static str {
                match self {
                    $(Property::$variant => stringify!($variant),)*
                }
            }

            pub fn edm_type(self) -> EdmType {
                match self {
                    $(Property::$variant => EdmType::$edm,)*
                }
            }

            pub fn nullable(self) -> bool {
                match self {
                    $(Property::$variant => $nullable,)*
                }
            }
        }
    };
}

properties! {
    Id: String, false;
    Version: String, false;
    NormalizedVersion: String, true;
    Authors: String, true;
    Copyright: String, true;
    Created: DateTime, false;
    Dependencies: String, true;
    Description: String, true;
    DownloadCount: Int32, false;
    GalleryDetailsUrl: String, true;
    IconUrl: String, true;
    IsLatestVersion: Boolean, false;
    IsAbsoluteLatestVersion: Boolean, false;
    IsPrerelease: Boolean, false;
    Language: String, true;
    LastUpdated: DateTime, false;
    Published: DateTime, false;
    PackageHash: String, true;
    PackageHashAlgorithm: String, true;
    PackageSize: Int64, false;
    ProjectUrl: String, true;
    ReportAbuseUrl: String, true;
    ReleaseNotes: String, true;
    RequireLicenseAcceptance: Boolean, false;
    Summary: String, true;
    Tags: String, true;
    Title: String, true;
    VersionDownloadCount: Int32, false;
    MinClientVersion: String, true;
    LastEdited: DateTime, true;
    LicenseUrl: String, true;
    LicenseNames: String, true;
    LicenseReportUrl: String, true;
    Owners: String, true;
    Listed: Boolean, false;
    DevelopmentDependency: Boolean, false;
}

impl Property {
    /// Looks a property up by name. OData names are case-sensitive; a name that differs only in
    /// case still means the one property it can mean, so it is accepted.
    pub fn parse(name: &str) -> Option<Property> {
        Self::ALL
            .iter()
            .find(|p| p.name() == name)
            .or_else(|| Self::ALL.iter().find(|p| p.name().eq_ignore_ascii_case(name)))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_types_are_what_clients_expect() {
        for p in Property::ALL {
            assert_eq!(Property::parse(p.name()), Some(*p));
        }
        assert_eq!(Property::parse("islatestversion"), Some(Property::IsLatestVersion));
        assert_eq!(Property::parse("Nope"), None);
        assert_eq!(Property::DownloadCount.edm_type().name(), "Edm.Int32");
        assert_eq!(Property::PackageSize.edm_type().name(), "Edm.Int64");
        assert_eq!(Property::Published.edm_type().name(), "Edm.DateTime");
    }
}

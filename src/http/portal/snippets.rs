//! Install commands for one id+version, in nuget.org's tabs and wording.

pub struct Snippet {
    /// Stable key for element ids (`install-dotnet-cli`).
    pub key: &'static str,
    pub label: &'static str,
    pub code: String,
    /// A line under the command (what the snippet is for).
    pub note: &'static str,
}

pub fn install(id: &str, version: &str) -> Vec<Snippet> {
    vec![
        Snippet {
            key: "dotnet-cli",
            label: ".NET CLI",
            code: format!("dotnet add package {id} --version {version}"),
            note: "",
        },
        Snippet {
            key: "package-manager",
            label: "Package Manager",
            code: format!("NuGet\\Install-Package {id} -Version {version}"),
            note: "This command is intended to be used within the Package Manager Console in Visual Studio.",
        },
        Snippet {
            key: "package-reference",
            label: "PackageReference",
            code: format!("<PackageReference Include=\"{id}\" Version=\"{version}\" />"),
            note: "Copy this XML node into the project file to reference the package.",
        },
        Snippet { key: "paket", label: "Paket CLI", code: format!("paket add {id} --version {version}"), note: "" },
        Snippet {
            key: "script",
            label: "Script & Interactive",
            code: format!("#r \"nuget: {id}, {version}\""),
            note: "The #r directive can be used in F# Interactive and Polyglot Notebooks.",
        },
        Snippet {
            key: "cake",
            label: "Cake",
            code: format!(
                "// Install {id} as a Cake Addin\n#addin nuget:?package={id}&version={version}\n\n\
                 // Install {id} as a Cake Tool\n#tool nuget:?package={id}&version={version}"
            ),
            note: "",
        },
    ]
}

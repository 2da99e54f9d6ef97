//! `GetUpdates()`: newer listed versions of installed packages.
use super::{feed, get, listed, refused, seed, strings};
use crate::helpers::spawn_app;

fn updates(ids: &str, versions: &str, prerelease: bool, all: bool, extra: &str) -> String {
    format!(
        "/api/v2/GetUpdates()?packageIds='{ids}'&versions='{versions}'&includePrerelease={prerelease}&includeAllVersions={all}&targetFrameworks='net6.0'&versionConstraints=''{extra}"
    )
}

#[test]
fn newest_listed_update_per_id() {
    let app = spawn_app();
    seed(&app);
    // Other.Lib 1.0.0 is unlisted, so 0.9.0 has no update.
    let f = feed(&app, &updates("Acme.Core|Other.Lib|Acme.App", "1.0.0|0.9.0|1.0", false, false, ""));
    assert_eq!(listed(&f), strings(&["Acme.Core 1.1.0"]));
    assert_eq!(f.child(super::xml::ATOM, "title").text, "GetUpdates");
    let f = feed(&app, &updates("acme.core", "1.0", true, false, ""));
    assert_eq!(listed(&f), strings(&["Acme.Core 2.0.0-beta"]));
    let f = feed(&app, &updates("acme.core", "1.0", true, false, "&semVerLevel=2.0.0"));
    assert_eq!(listed(&f), strings(&["Acme.Core 3.0.0-rc.1"]));
    assert_eq!(listed(&feed(&app, &updates("Acme.Core", "1.1.0", false, false, ""))), Vec::<String>::new());
}

#[test]
fn all_versions_constraints_and_counts() {
    let app = spawn_app();
    seed(&app);
    let f = feed(&app, &updates("Acme.Core", "0.5", true, true, "&semVerLevel=2.0.0"));
    assert_eq!(
        listed(&f),
        strings(&["Acme.Core 1.0.0", "Acme.Core 1.1.0", "Acme.Core 2.0.0-beta", "Acme.Core 3.0.0-rc.1"])
    );
    let constrained = updates("Acme.Core|Other.Lib", "0.5|0.1", true, true, "")
        .replace("versionConstraints=''", "versionConstraints='(,2.0.0)|[0.9.0]'");
    // 2.0.0-beta is below 2.0.0, so (,2.0.0) admits it, as NuGet's ranges do.
    assert_eq!(
        listed(&feed(&app, &constrained)),
        strings(&["Acme.Core 1.0.0", "Acme.Core 1.1.0", "Acme.Core 2.0.0-beta", "Other.Lib 0.9.0"])
    );
    let count =
        updates("Acme.Core", "0.5", true, true, "&semVerLevel=2.0.0").replace("GetUpdates()?", "GetUpdates()/$count?");
    assert_eq!(get(&app, &count).text(), "4");
    let f =
        feed(&app, &updates("Acme.Core", "0.5", false, true, "&$orderby=Version desc&$top=1&$inlinecount=allpages"));
    assert_eq!(listed(&f), strings(&["Acme.Core 1.1.0"]));
    assert_eq!(f.child(super::xml::M, "count").text, "2");
    assert_eq!(
        listed(&feed(
            &app,
            "/api/v2/GetUpdates()?packageIds=''&versions=''&includePrerelease=false&includeAllVersions=false"
        )),
        Vec::<String>::new()
    );
}

#[test]
fn mismatched_or_malformed_parameters_are_refused() {
    let app = spawn_app();
    seed(&app);
    assert_eq!(
        refused(&app, &updates("A|B", "1.0", false, false, "")),
        (400, "GetUpdates needs one version for each package id: 2 ids, 1 versions.".to_owned())
    );
    assert_eq!(
        refused(&app, &updates("A", "one", false, false, "")),
        (400, "'one' in versions is not a valid version.".to_owned())
    );
    let bad_range = updates("A", "1.0", false, false, "").replace("versionConstraints=''", "versionConstraints='[2.0'");
    assert_eq!(
        refused(&app, &bad_range),
        (400, "'[2.0' in versionConstraints is not a valid version range.".to_owned())
    );
    assert_eq!(
        refused(&app, "/api/v2/GetUpdates()?packageIds='A'&versions='1.0'&includePrerelease=maybe"),
        (400, "The 'includePrerelease' parameter must be true or false, not 'maybe'.".to_owned())
    );
}

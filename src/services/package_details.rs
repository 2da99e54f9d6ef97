//! What a package page shows: which version a URL selects, which versions a viewer may see, the
//! README and license texts, and whether search has the package.
use super::permissions::{authorize, PackageAction, Principal};
use crate::db;
use crate::domain::id::PackageId;
use crate::domain::records::PackageRecord;
use crate::domain::version::NuGetVersion;
use crate::error::AppError;
use crate::state::AppState;

/// Who is looking. Owners and admins (once sessions land) also see unlisted versions in the
/// history and versions that are not available, with their validation status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Viewer {
    pub sees_hidden: bool,
}

impl Viewer {
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// Owners of the package (directly or through an organization) and administrators see
    /// hidden versions; the rule is the one that lets them read the package's audit log.
    pub fn of(state: &AppState, who: Option<&Principal>, id: &PackageId) -> Result<Self, AppError> {
        let Some(p) = who else { return Ok(Self::anonymous()) };
        let conn = &state.conn()?;
        let owners = match db::packages::find(conn, &id.lower())? {
            Some(pkg) => db::packages::owner_ids(conn, pkg.key)?,
            None => return Ok(Self::anonymous()),
        };
        let sees_hidden = authorize(p, PackageAction::ReadAudit, id.as_str(), Some(&owners)).is_ok();
        Ok(Self { sees_hidden })
    }
}

/// A package with the version a page is about (`package.versions[selected]`).
#[derive(Debug, Clone)]
pub struct SelectedVersion {
    pub package: PackageRecord,
    pub selected: usize,
}

impl SelectedVersion {
    pub fn version(&self) -> &crate::domain::records::VersionRecord {
        &self.package.versions[self.selected]
    }
}

#[derive(Debug, Clone)]
pub struct PackageDetails {
    pub page: SelectedVersion,
    /// The embedded README (Markdown), when the version has one.
    pub readme: Option<String>,
    /// False when the id has a listed available version but no search row; should never happen,
    /// since the push transaction indexes.
    pub indexed: bool,
    /// For a version read through from an upstream: its name and when the file was fetched.
    pub mirrored: Option<(String, String)>,
}

/// Also the portal's answer for a path segment that cannot be an id.
pub fn no_package(id: &str) -> AppError {
    AppError::NotFound(format!("There is no package '{id}' on this server."))
}

fn no_version(id: &str, version: &str) -> AppError {
    AppError::NotFound(format!("There is no version '{version}' of the package '{id}' on this server."))
}

/// The version `/packages/{id}` shows, as nuget.org picks it: the newest listed stable version,
/// else the newest listed prerelease, else the newest unlisted one.
fn default_version(package: &PackageRecord, viewer: Viewer) -> Option<usize> {
    let newest = |keep: &dyn Fn(&crate::domain::records::VersionRecord) -> bool| {
        package.versions.iter().rposition(|v| v.is_available() && keep(v))
    };
    newest(&|v| v.listed && !v.is_prerelease)
        .or_else(|| newest(&|v| v.listed))
        .or_else(|| newest(&|_| true))
        .or_else(|| if viewer.sees_hidden { package.versions.iter().rposition(|v| v.visible_to(true)) } else { None })
}

/// Finds the package and the version a URL names; 404 for what the viewer may not see.
/// The version stays text: an unparsable one is reported only once the package is known.
pub fn select(
    state: &AppState,
    id: &PackageId,
    version: Option<&str>,
    viewer: Viewer,
) -> Result<SelectedVersion, AppError> {
    let conn = state.conn()?;
    let package = db::packages::load(&conn, &id.lower())?.ok_or_else(|| no_package(id.as_str()))?;
    let id = id.as_str();
    let selected = match version {
        None => default_version(&package, viewer).ok_or_else(|| no_package(id))?,
        Some(text) => {
            let lower = NuGetVersion::parse(text).map_err(|_| no_version(id, text))?.lower_normalized();
            package
                .versions
                .iter()
                .position(|v| v.version_lower == lower && v.visible_to(viewer.sees_hidden))
                .ok_or_else(|| no_version(id, text))?
        }
    };
    Ok(SelectedVersion { package, selected })
}

/// Everything the package page needs. Blocking: call from a blocking thread.
pub fn details(
    state: &AppState,
    id: &PackageId,
    version: Option<&str>,
    viewer: Viewer,
) -> Result<PackageDetails, AppError> {
    let page = select(state, id, version, viewer)?;
    let v = page.version();
    let readme = if v.readme_file.is_some() { read_extra(state, &page, "readme")? } else { None };
    let has_listed = page.package.available().any(|v| v.listed);
    let indexed = !has_listed || db::search::is_indexed(&state.conn()?, page.package.key)?;
    let mirrored = match page.package.upstream {
        Some(_) => db::upstreams::mirror_source(&state.conn()?, &page.package.id_lower, &v.version_lower)?,
        None => None,
    };
    Ok(PackageDetails { page, readme, indexed, mirrored })
}

/// The embedded license file of a version, for its License page.
pub fn license_text(
    state: &AppState,
    id: &PackageId,
    version: &str,
    viewer: Viewer,
) -> Result<(SelectedVersion, String), AppError> {
    let page = select(state, id, Some(version), viewer)?;
    let missing = || AppError::NotFound(format!("The package '{id}' {version} has no license file."));
    if page.version().license_file.is_none() {
        return Err(missing());
    }
    let text = read_extra(state, &page, "license")?.ok_or_else(missing)?;
    Ok((page, text))
}

/// Reads a file stored beside the package; text files from packages may be in any encoding, so
/// invalid UTF-8 is replaced rather than refused.
fn read_extra(state: &AppState, page: &SelectedVersion, name: &str) -> Result<Option<String>, AppError> {
    let v = page.version();
    let path =
        crate::store::local(&*state.store, state.store.extra_path(&page.package.id_lower, &v.version_lower, name))?;
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

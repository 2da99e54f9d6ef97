//! A package as a row of search results, the front page and profiles, built from the v3 search
//! result the search service already returns.
use super::format;
use crate::protocol::urls::UrlGenerator;
use crate::protocol::v3::SearchResult;

pub struct Link {
    pub text: String,
    pub url: String,
}

pub struct PackageCard {
    pub id: String,
    pub title: String,
    pub version: String,
    pub url: String,
    pub icon: String,
    pub summary: String,
    pub tags: Vec<Link>,
    pub owners: Vec<Link>,
    pub downloads: String,
    pub verified: bool,
    /// The upstream the package comes from (`None` for a local one).
    pub upstream: Option<String>,
}

/// The search link for one tag, in nuget.org's form (`Tags:"json"`).
pub fn tag_link(urls: &UrlGenerator, tag: &str) -> Link {
    Link { text: tag.to_owned(), url: urls.portal_search(&[("q", &format!("Tags:\"{tag}\""))]) }
}

pub fn owner_link(urls: &UrlGenerator, name: &str) -> Link {
    Link { text: name.to_owned(), url: urls.portal_profile(name) }
}

/// The portal shows embedded icons only: an `iconUrl` elsewhere would be a request to another
/// site, which a team's offline network may not reach.
pub fn icon(urls: &UrlGenerator, icon_url: &str, default_icon: &str) -> String {
    if !icon_url.is_empty() && icon_url.starts_with(&urls.flat_container()) {
        urls.site_path(icon_url)
    } else {
        default_icon.to_owned()
    }
}

/// Links and pages name versions without build metadata, as nuget.org does.
pub fn version_without_metadata(version: &str) -> &str {
    version.split_once('+').map_or(version, |(v, _)| v)
}

impl PackageCard {
    pub fn new(urls: &UrlGenerator, r: &SearchResult, default_icon: &str) -> Self {
        let summary = if r.summary.trim().is_empty() { &r.description } else { &r.summary };
        Self {
            id: r.id.clone(),
            title: r.title.clone(),
            version: version_without_metadata(&r.version).to_owned(),
            url: urls.portal_package(&r.id),
            icon: icon(urls, &r.icon_url, default_icon),
            summary: format::truncate(summary, 300),
            tags: r.tags.iter().map(|t| tag_link(urls, t)).collect(),
            // An upstream's owners have no profile here: their names are shown, not linked.
            owners: r
                .owners
                .iter()
                .map(|o| match r.upstream {
                    None => owner_link(urls, o),
                    Some(_) => Link { text: o.clone(), url: String::new() },
                })
                .collect(),
            downloads: format::compact(r.total_downloads),
            verified: r.verified,
            upstream: r.upstream.clone(),
        }
    }

    pub fn list(urls: &UrlGenerator, results: &[SearchResult], default_icon: &str) -> Vec<Self> {
        results.iter().map(|r| Self::new(urls, r, default_icon)).collect()
    }

    /// The title differs from the id only when the nuspec gave one.
    pub fn has_title(&self) -> bool {
        self.title != self.id
    }
}

//! Sitemaps: the index, URL sets written piece by piece (so a handler can stream a file of
//! 50,000 URLs without holding it), and the Google News sitemap of the last 48 hours.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use quick_xml::escape::escape;

/// The sitemap protocol's limit of URLs per file.
pub const MAX_URLS: i64 = 50_000;

pub fn w3c_time(ts: i64, tz: Tz) -> String {
    let utc = DateTime::<Utc>::from_timestamp(crate::domain::clamp_time(ts), 0).unwrap_or_default();
    tz.from_utc_datetime(&utc.naive_utc())
        .fixed_offset()
        .to_rfc3339()
}

pub fn index(locs: &[String]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for loc in locs {
        out.push_str("<sitemap><loc>");
        out.push_str(&escape(loc.as_str()));
        out.push_str("</loc></sitemap>\n");
    }
    out.push_str("</sitemapindex>\n");
    out
}

pub const URLSET_OPEN: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
pub const URLSET_CLOSE: &str = "</urlset>\n";

pub fn url_entry(loc: &str, lastmod: Option<&str>) -> String {
    let mut out = String::with_capacity(loc.len() + 64);
    out.push_str("<url><loc>");
    out.push_str(&escape(loc));
    out.push_str("</loc>");
    if let Some(t) = lastmod {
        out.push_str("<lastmod>");
        out.push_str(t);
        out.push_str("</lastmod>");
    }
    out.push_str("</url>\n");
    out
}

/// One story in the news sitemap.
pub struct NewsItem {
    pub loc: String,
    pub title: String,
    pub published: String,
}

pub fn news(publication: &str, items: &[NewsItem]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\n",
    );
    for it in items {
        out.push_str("<url><loc>");
        out.push_str(&escape(it.loc.as_str()));
        out.push_str("</loc><news:news><news:publication><news:name>");
        out.push_str(&escape(publication));
        out.push_str("</news:name><news:language>bn</news:language></news:publication><news:publication_date>");
        out.push_str(&it.published);
        out.push_str("</news:publication_date><news:title>");
        out.push_str(&escape(&*crate::domain::text::strip_controls(&it.title)));
        out.push_str("</news:title></news:news></url>\n");
    }
    out.push_str(URLSET_CLOSE);
    out
}

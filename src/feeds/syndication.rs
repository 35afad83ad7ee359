//! RSS 2.0 (with `content:encoded` and `dc:creator`), Atom 1.0 and JSON Feed 1.1.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::json;

use crate::domain::{urls, Article};

/// What a feed says about itself.
#[derive(Debug, Clone)]
pub struct FeedMeta {
    pub title: String,
    pub description: String,
    /// Absolute URL of the page the feed mirrors (home or section).
    pub home_url: String,
    /// Absolute URL of this feed.
    pub feed_url: String,
    /// Origin that article paths are joined to.
    pub base_url: String,
    pub timezone: Tz,
}

impl FeedMeta {
    fn link(&self, a: &Article) -> String {
        format!("{}{}", self.base_url, urls::article(&a.section.slug, a.id))
    }

    fn time(&self, ts: i64) -> DateTime<FixedOffset> {
        let utc =
            DateTime::<Utc>::from_timestamp(crate::domain::clamp_time(ts), 0).unwrap_or_default();
        let local = self.timezone.from_utc_datetime(&utc.naive_utc());
        local.fixed_offset()
    }

    fn updated(&self, items: &[Article]) -> i64 {
        items.iter().map(|a| a.updated_at).max().unwrap_or(0)
    }
}

fn published(a: &Article) -> i64 {
    a.published_at.unwrap_or(a.updated_at)
}

pub fn rss(meta: &FeedMeta, articles: &[Article]) -> String {
    let items: Vec<rss::Item> = articles
        .iter()
        .map(|a| {
            let link = meta.link(a);
            let creators: Vec<String> = a.authors.iter().map(|p| p.name.clone()).collect();
            rss::ItemBuilder::default()
                .title(Some(a.headline.clone()))
                .link(Some(link.clone()))
                .guid(Some(
                    rss::GuidBuilder::default()
                        .value(link)
                        .permalink(true)
                        .build(),
                ))
                .pub_date(Some(meta.time(published(a)).to_rfc2822()))
                .description(Some(a.description()))
                .content(Some(a.body_html.clone()))
                .categories(vec![rss::CategoryBuilder::default()
                    .name(a.section.name.clone())
                    .build()])
                .dublin_core_ext(Some(
                    rss::extension::dublincore::DublinCoreExtensionBuilder::default()
                        .creators(creators)
                        .build(),
                ))
                .build()
        })
        .collect();
    let channel = rss::ChannelBuilder::default()
        .title(meta.title.clone())
        .link(meta.home_url.clone())
        .description(meta.description.clone())
        .language(Some("bn".to_owned()))
        .generator(Some("Khobor".to_owned()))
        .last_build_date(Some(meta.time(meta.updated(articles)).to_rfc2822()))
        .items(items)
        .build();
    xml_text(channel.to_string())
}

pub fn atom(meta: &FeedMeta, items: &[Article]) -> String {
    use atom_syndication::{Category, Content, Entry, FeedBuilder, Link, Person, Text};
    let entries: Vec<Entry> = items
        .iter()
        .map(|a| {
            let link = meta.link(a);
            let authors = a
                .authors
                .iter()
                .map(|p| Person {
                    name: p.name.clone(),
                    ..Default::default()
                })
                .collect();
            Entry {
                id: link.clone(),
                title: Text::plain(a.headline.clone()),
                updated: meta.time(a.updated_at),
                published: Some(meta.time(published(a))),
                authors,
                links: vec![Link {
                    href: link,
                    rel: "alternate".into(),
                    mime_type: Some("text/html".into()),
                    ..Default::default()
                }],
                categories: vec![Category {
                    term: a.section.slug.clone(),
                    label: Some(a.section.name.clone()),
                    ..Default::default()
                }],
                summary: Some(Text::plain(a.description())),
                content: Some(Content {
                    value: Some(a.body_html.clone()),
                    content_type: Some("html".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let feed = FeedBuilder::default()
        .title(Text::plain(meta.title.clone()))
        .id(meta.feed_url.clone())
        .updated(meta.time(meta.updated(items)))
        .authors(vec![Person {
            name: meta.title.clone(),
            uri: Some(meta.home_url.clone()),
            ..Default::default()
        }])
        .links(vec![
            Link {
                href: meta.feed_url.clone(),
                rel: "self".into(),
                mime_type: Some("application/atom+xml".into()),
                ..Default::default()
            },
            Link {
                href: meta.home_url.clone(),
                rel: "alternate".into(),
                mime_type: Some("text/html".into()),
                ..Default::default()
            },
        ])
        .lang(Some("bn".to_owned()))
        .subtitle(Some(Text::plain(meta.description.clone())))
        .entries(entries)
        .build();
    xml_text(feed.to_string())
}

pub fn json_feed(meta: &FeedMeta, items: &[Article]) -> String {
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|a| {
            let link = meta.link(a);
            json!({
                "id": link,
                "url": link,
                "title": a.headline,
                "summary": a.description(),
                "content_html": a.body_html,
                "date_published": meta.time(published(a)).to_rfc3339(),
                "date_modified": meta.time(a.updated_at).to_rfc3339(),
                "authors": a.authors.iter().map(|p| json!({"name": p.name})).collect::<Vec<_>>(),
                "tags": a.tags.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
                "language": "bn",
            })
        })
        .collect();
    json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta.title,
        "description": meta.description,
        "home_page_url": meta.home_url,
        "feed_url": meta.feed_url,
        "language": "bn",
        "items": items,
    })
    .to_string()
}

/// The document without characters XML 1.0 forbids. Stored text is cleaned on the way in;
/// this keeps feeds well-formed for every subscriber even for rows stored before that.
pub(crate) fn xml_text(doc: String) -> String {
    match crate::domain::text::strip_controls(&doc) {
        std::borrow::Cow::Borrowed(_) => doc,
        std::borrow::Cow::Owned(clean) => clean,
    }
}

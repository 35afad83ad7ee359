//! Pure functions from articles to RSS 2.0, Atom, JSON Feed 1.1 and sitemap XML. No I/O: the
//! web layer fetches the stories and streams the bytes. May import `domain` only.

pub mod sitemap;
pub mod syndication;

pub use syndication::{atom, json_feed, rss, FeedMeta};

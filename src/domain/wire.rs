//! Agency wires (ওয়্যার): what a wire source's response holds, read into items the newsroom
//! can turn into drafts. RSS 2.0, Atom and JSON Feed through `feed-rs`; IPTC ninjs (2.x, and
//! the 1.x field names agencies still send) as JSON. Pure: bytes in, items or a clear error
//! out. Text is NFC, Bijoy (SutonnyMJ) text is converted, bodies are sanitised with the story
//! allow-list, and every item is fingerprinted so that a re-sent item with the same words is
//! not queued twice.

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::story::{MAX_BODY_BYTES, MAX_HEADLINE, MAX_SUMMARY};
use super::text;

/// The largest response read from a wire source; a longer one is refused unread.
pub const MAX_FEED_BYTES: usize = 5 * 1024 * 1024;
/// Items taken from one response (agencies' feeds carry the latest few dozen).
pub const MAX_ITEMS: usize = 500;
/// An item's id as the agency gives it, at most.
pub const MAX_GUID: usize = 500;

/// What a source sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RSS 2.0, Atom or JSON Feed, told apart by their content.
    Feed,
    Ninjs,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "feed" => Some(Format::Feed),
            "ninjs" => Some(Format::Ninjs),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Feed => "feed",
            Format::Ninjs => "ninjs",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Format::Feed => "RSS / Atom / JSON Feed",
            Format::Ninjs => "IPTC ninjs (JSON)",
        }
    }
}

/// The longest agency name (it goes into the credit line).
pub const MAX_AGENCY_CHARS: usize = 40;
/// Poll intervals accepted, in minutes.
pub const POLL_MINUTES: std::ops::RangeInclusive<i64> = 1..=1440;

/// A source as an admin entered it, checked: (agency, URL, format, poll seconds), or what is
/// wrong with it, in Bengali for the form.
pub fn check_source(
    agency: &str,
    url: &str,
    format: &str,
    minutes: &str,
) -> Result<(String, String, Format, i64), Vec<String>> {
    let mut errors = Vec::new();
    let agency = text::clean_line(agency);
    if agency.is_empty() {
        errors.push("সংস্থার নাম দিন (যেমন এএফপি বা বাসস)।".to_owned());
    } else if agency.chars().count() > MAX_AGENCY_CHARS {
        errors.push(format!("সংস্থার নাম {MAX_AGENCY_CHARS} অক্ষরের মধ্যে দিন।"));
    }
    let url = url.trim().to_owned();
    match url::Url::parse(&url) {
        _ if url.len() > 2000 => errors.push("ঠিকানাটি ২০০০ অক্ষরের বেশি লম্বা।".to_owned()),
        Ok(u) if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() => {
            errors.push("ঠিকানা http:// বা https:// দিয়ে শুরু হতে হবে।".to_owned())
        }
        Ok(u) if !u.username().is_empty() || u.password().is_some() => {
            errors.push("ঠিকানায় ব্যবহারকারীর নাম বা পাসওয়ার্ড রাখবেন না।".to_owned())
        }
        Ok(_) => {}
        Err(_) => errors.push("ঠিকানাটি সঠিক নয় (যেমন https://agency.example/feed.xml)।".to_owned()),
    }
    let format = Format::parse(format);
    if format.is_none() {
        errors.push("ফিডের ধরন বেছে নিন।".to_owned());
    }
    let minutes = minutes
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|m| POLL_MINUTES.contains(m));
    if minutes.is_none() {
        errors.push("কত মিনিট পরপর দেখা হবে: ১ থেকে ১৪৪০ এর মধ্যে একটি সংখ্যা দিন।".to_owned());
    }
    match (format, minutes) {
        (Some(format), Some(minutes)) if errors.is_empty() => {
            Ok((agency, url, format, minutes * 60))
        }
        _ => Err(errors),
    }
}

/// One item of a wire, ready for the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireItem {
    /// The agency's id for the item (its guid, Atom id or ninjs uri).
    pub guid: String,
    pub headline: String,
    pub summary: String,
    /// Sanitised HTML.
    pub body_html: String,
    /// The item's page at the agency, if it gave one (http or https only).
    pub link: Option<String>,
    /// When the agency published (or last updated) it, Unix seconds.
    pub published_at: Option<i64>,
    /// SHA-256 of the headline, summary and body: the same words sent again are the same item.
    pub content_hash: String,
    /// Whether any of its text was Bijoy and was converted.
    pub converted_bijoy: bool,
}

/// What a response held: the items, and those left out with the reason.
#[derive(Debug, Default)]
pub struct Parsed {
    pub items: Vec<WireItem>,
    pub skipped: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error("উৎস ফিড নয়, একটি HTML পাতা পাঠিয়েছে: ঠিকানাটি দেখুন")]
    Html,
    #[error("উৎস কিছুই পাঠায়নি")]
    Empty,
    #[error("এই ধরনের ফিড হিসেবে পড়া গেল না ({0})")]
    Unreadable(String),
    #[error("উৎস {} MB-এর বেশি পাঠিয়েছে", MAX_FEED_BYTES / (1024 * 1024))]
    TooLarge,
}

/// Reads a response body of a source of `format`.
pub fn parse(format: Format, bytes: &[u8]) -> Result<Parsed, WireError> {
    if bytes.len() > MAX_FEED_BYTES {
        return Err(WireError::TooLarge);
    }
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF)
        .ok_or(WireError::Empty)?;
    let head =
        String::from_utf8_lossy(&bytes[start..bytes.len().min(start + 256)]).to_ascii_lowercase();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        return Err(WireError::Html);
    }
    let raw = match format {
        Format::Feed => from_feed(bytes)?,
        Format::Ninjs => from_ninjs(&bytes[start..])?,
    };
    let mut parsed = Parsed::default();
    for (n, item) in raw.into_iter().enumerate() {
        if n >= MAX_ITEMS {
            parsed
                .skipped
                .push(format!("items after the first {MAX_ITEMS} were not read"));
            break;
        }
        match item.finish() {
            Ok(item) => parsed.items.push(item),
            Err(reason) => parsed.skipped.push(reason),
        }
    }
    Ok(parsed)
}

/// An item as the source gave it, before cleaning.
#[derive(Debug, Default)]
struct RawItem {
    guid: String,
    headline: String,
    summary: String,
    body: String,
    link: Option<String>,
    published_at: Option<i64>,
}

impl RawItem {
    fn finish(self) -> Result<WireItem, String> {
        let guid = text::clean_line(&self.guid);
        let name = if self.headline.trim().is_empty() {
            guid.clone()
        } else {
            self.headline.trim().to_owned()
        };
        if guid.is_empty() {
            return Err(format!("“{name}”: the item has no id"));
        }
        if guid.len() > MAX_GUID {
            return Err(format!(
                "“{name}”: the item's id is longer than {MAX_GUID} bytes"
            ));
        }
        if self.body.len() > text::MAX_RAW_BODY_BYTES || self.headline.len() > 4 * MAX_HEADLINE * 4
        {
            return Err(format!("“{name}”: the item is too long to take"));
        }
        // Headlines and summaries sometimes come as HTML; they are stored as plain lines.
        let mut headline = text::clean_line(&text::html_to_text(&self.headline));
        let mut summary = text::clean_line(&text::html_to_text(&self.summary));
        let mut body = if self.body.trim().is_empty() {
            String::new()
        } else {
            text::body_to_html(&self.body).map_err(|e| format!("“{name}”: {e}"))?
        };
        let converted_bijoy = super::bijoy::convert_field(&mut headline)
            | super::bijoy::convert_field(&mut summary)
            | super::bijoy::convert_body(&mut body);
        if headline.is_empty() {
            return Err(format!("“{guid}”: the item has no headline"));
        }
        let headline = cut(&headline, MAX_HEADLINE);
        let summary = cut(&summary, MAX_SUMMARY);
        if body.len() > MAX_BODY_BYTES {
            return Err(format!(
                "“{headline}”: the item's text is longer than a story may be"
            ));
        }
        let mut h = Sha256::new();
        for part in [&headline, &summary, &body] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        let content_hash = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let link = self
            .link
            .map(|l| l.trim().to_owned())
            .filter(|l| (l.starts_with("https://") || l.starts_with("http://")) && l.len() <= 2000);
        Ok(WireItem {
            guid,
            headline,
            summary,
            body_html: body,
            link,
            published_at: self.published_at.filter(|t| super::in_time_range(*t)),
            content_hash,
            converted_bijoy,
        })
    }
}

/// `s` cut to at most `max` characters, on a character boundary.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].trim_end().to_owned(),
        None => s.to_owned(),
    }
}

fn from_feed(bytes: &[u8]) -> Result<Vec<RawItem>, WireError> {
    let feed = feed_rs::parser::Builder::new()
        .sanitize_content(false)
        .build()
        .parse(bytes)
        .map_err(|e| WireError::Unreadable(e.to_string()))?;
    Ok(feed
        .entries
        .into_iter()
        .map(|e| {
            let body = e
                .content
                .as_ref()
                .and_then(|c| c.body.clone())
                .unwrap_or_default();
            let summary = e
                .summary
                .as_ref()
                .map(|s| s.content.clone())
                .unwrap_or_default();
            // A feed with only a description carries the text there.
            let (summary, body) = if body.trim().is_empty() {
                (String::new(), summary)
            } else {
                (summary, body)
            };
            RawItem {
                guid: e.id,
                headline: e.title.map(|t| t.content).unwrap_or_default(),
                summary,
                body,
                link: e.links.first().map(|l| l.href.clone()),
                published_at: e.published.or(e.updated).map(|t| t.timestamp()),
            }
        })
        .collect())
}

/// A ninjs object: 2.x arrays (`headlines`, `bodies`, `descriptions`) or 1.x fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Ninjs {
    uri: Option<String>,
    headline: Option<String>,
    headlines: Vec<Valued>,
    body_html: Option<String>,
    body_text: Option<String>,
    bodies: Vec<Valued>,
    description_text: Option<String>,
    description_html: Option<String>,
    descriptions: Vec<Valued>,
    versioncreated: Option<String>,
    firstcreated: Option<String>,
    links: Vec<NinjsLink>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Valued {
    value: String,
    role: Option<String>,
    contenttype: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NinjsLink {
    href: Option<String>,
    rel: Option<String>,
}

/// A ninjs response: one object, an array of them, or an object listing them under `items`
/// or `data` (as agencies' APIs wrap them).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum NinjsResponse {
    List(Vec<Ninjs>),
    Wrapped { items: Vec<Ninjs> },
    Data { data: Vec<Ninjs> },
    One(Box<Ninjs>),
}

/// The main one of several valued texts: the role asked for, else the first.
fn main_value(values: &[Valued], role: &str) -> Option<String> {
    values
        .iter()
        .find(|v| v.role.as_deref() == Some(role))
        .or_else(|| values.first())
        .map(|v| v.value.clone())
}

fn ninjs_time(s: &Option<String>) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s.as_deref()?.trim())
        .ok()
        .map(|t| t.timestamp())
}

fn from_ninjs(bytes: &[u8]) -> Result<Vec<RawItem>, WireError> {
    let response: NinjsResponse =
        serde_json::from_slice(bytes).map_err(|e| WireError::Unreadable(format!("ninjs: {e}")))?;
    let list = match response {
        NinjsResponse::List(l) => l,
        NinjsResponse::Wrapped { items } | NinjsResponse::Data { data: items } => items,
        NinjsResponse::One(one) => vec![*one],
    };
    Ok(list
        .into_iter()
        // Pictures, video and packages are not text a desk can edit.
        .filter(|n| n.kind.as_deref().is_none_or(|k| k == "text"))
        .map(|n| {
            let body = n
                .bodies
                .iter()
                .find(|b| b.contenttype.as_deref().is_some_and(|c| c.contains("html")))
                .map(|b| b.value.clone())
                .or_else(|| main_value(&n.bodies, "main"))
                .or(n.body_html.clone())
                .or(n.body_text.clone())
                .unwrap_or_default();
            RawItem {
                guid: n.uri.clone().unwrap_or_default(),
                headline: main_value(&n.headlines, "main")
                    .or(n.headline.clone())
                    .unwrap_or_default(),
                summary: main_value(&n.descriptions, "summary")
                    .or(n.description_text.clone())
                    .or(n.description_html.clone())
                    .unwrap_or_default(),
                body,
                link: n
                    .links
                    .iter()
                    .find(|l| {
                        l.rel
                            .as_deref()
                            .is_none_or(|r| r.contains("canonical") || r == "alternate")
                    })
                    .and_then(|l| l.href.clone()),
                published_at: ninjs_time(&n.versioncreated).or(ninjs_time(&n.firstcreated)),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>বাসস</title><link>https://wire.example/</link><description>d</description>
<item><guid isPermaLink="false">bss-1001</guid><title>পদ্মা সেতুতে যান চলাচল স্বাভাবিক</title>
<link>https://wire.example/1001</link><pubDate>Mon, 07 Dec 2026 08:00:00 +0600</pubDate>
<description><![CDATA[<p>সকাল থেকে সেতুতে যান চলাচল স্বাভাবিক রয়েছে।</p><script>alert(1)</script>]]></description></item>
<item><title>শিরোনাম ছাড়া আইডি নেই</title><description>x</description></item>
</channel></rss>"#;

    #[test]
    fn rss_items_are_read_cleaned_and_fingerprinted() {
        let parsed = parse(Format::Feed, RSS.as_bytes()).unwrap();
        assert_eq!(parsed.items.len(), 2, "{:?}", parsed.skipped);
        let item = &parsed.items[0];
        assert_eq!(item.guid, "bss-1001");
        assert_eq!(item.headline, "পদ্মা সেতুতে যান চলাচল স্বাভাবিক");
        assert_eq!(
            item.body_html,
            "<p>সকাল থেকে সেতুতে যান চলাচল স্বাভাবিক রয়েছে।</p>"
        );
        assert_eq!(item.link.as_deref(), Some("https://wire.example/1001"));
        assert_eq!(item.published_at, Some(1_796_608_800));
        assert_eq!(item.content_hash.len(), 64);
        let again = parse(Format::Feed, RSS.as_bytes()).unwrap();
        assert_eq!(again.items[0].content_hash, item.content_hash);
    }

    #[test]
    fn ninjs_two_and_one_are_read() {
        let two = r#"{"uri": "urn:afp:1", "type": "text", "headlines": [{"value": "জেনেভায় বৈঠক", "role": "main"}],
            "descriptions": [{"value": "সংক্ষেপ", "role": "summary"}],
            "bodies": [{"value": "<p>প্রথম অনুচ্ছেদ।</p>", "contenttype": "text/html"}],
            "versioncreated": "2026-12-07T02:00:00Z"}"#;
        let parsed = parse(Format::Ninjs, two.as_bytes()).unwrap();
        assert_eq!(parsed.items.len(), 1);
        assert_eq!(parsed.items[0].headline, "জেনেভায় বৈঠক");
        assert_eq!(parsed.items[0].summary, "সংক্ষেপ");
        assert_eq!(parsed.items[0].body_html, "<p>প্রথম অনুচ্ছেদ।</p>");
        assert_eq!(parsed.items[0].published_at, Some(1_796_608_800));
        let one = r#"[{"uri": "urn:x:2", "headline": "ঢাকায় বৃষ্টি", "body_text": "প্রথম লাইন\n\nদ্বিতীয় লাইন"},
                      {"uri": "urn:x:3", "type": "picture", "headline": "ছবি"}]"#;
        let parsed = parse(Format::Ninjs, one.as_bytes()).unwrap();
        assert_eq!(parsed.items.len(), 1);
        assert_eq!(
            parsed.items[0].body_html,
            "<p>প্রথম লাইন</p>\n<p>দ্বিতীয় লাইন</p>\n"
        );
    }

    #[test]
    fn html_garbage_and_empty_responses_are_refused_with_a_reason() {
        assert_eq!(
            parse(
                Format::Feed,
                b"\n<!DOCTYPE html><html><body>login</body></html>"
            )
            .unwrap_err(),
            WireError::Html
        );
        assert_eq!(parse(Format::Feed, b"  \n").unwrap_err(), WireError::Empty);
        assert!(matches!(
            parse(Format::Feed, &[0x17u8; 4096]).unwrap_err(),
            WireError::Unreadable(_)
        ));
        assert!(matches!(
            parse(Format::Ninjs, b"{not json").unwrap_err(),
            WireError::Unreadable(_)
        ));
        assert_eq!(
            parse(Format::Feed, &vec![b'a'; MAX_FEED_BYTES + 1]).unwrap_err(),
            WireError::TooLarge
        );
    }

    #[test]
    fn a_source_is_checked_before_it_is_kept() {
        let ok = check_source(" এএফপি ", "https://wire.example/afp.xml", "feed", "5").unwrap();
        assert_eq!(
            ok,
            (
                "এএফপি".to_owned(),
                "https://wire.example/afp.xml".to_owned(),
                Format::Feed,
                300
            )
        );
        assert_eq!(
            check_source("", "https://w.example/", "feed", "5")
                .unwrap_err()
                .len(),
            1
        );
        assert_eq!(
            check_source("বাসস", "ftp://w.example/", "feed", "5")
                .unwrap_err()
                .len(),
            1
        );
        assert_eq!(
            check_source("বাসস", "https://u:p@w.example/", "feed", "5")
                .unwrap_err()
                .len(),
            1
        );
        assert_eq!(
            check_source("বাসস", "not a url", "rss9", "0")
                .unwrap_err()
                .len(),
            3
        );
    }

    #[test]
    fn bijoy_text_from_a_district_correspondent_is_converted() {
        let rss = r#"<rss version="2.0"><channel><title>t</title><link>https://w.example/</link><description>d</description>
<item><guid>b-1</guid><title>XvKvq e„wó</title><description>XvKvq e„wó n‡q‡Q|</description></item></channel></rss>"#;
        let parsed = parse(Format::Feed, rss.as_bytes()).unwrap();
        let item = &parsed.items[0];
        assert!(item.converted_bijoy);
        assert_eq!(item.headline, "ঢাকায় বৃষ্টি");
    }
}

//! Live pages (লাইভ): a published story that editors keep adding short timestamped entries
//! to. PURE: the limits of an entry, and which embed links are accepted and how they are shown
//! (a link card, never a third party's frame or script).

use super::text::{self, clean_line, raw_bytes_for};

/// Longest entry, in characters of its text (a few paragraphs, not a story).
pub const MAX_ENTRY_CHARS: usize = 5_000;
/// Longest entry as sent, before any cleaning: anything bigger is refused unread.
pub const MAX_ENTRY_BYTES: usize = raw_bytes_for(MAX_ENTRY_CHARS);
/// Longest embed link and image description, in characters.
pub const MAX_EMBED_CHARS: usize = 500;
pub const MAX_ALT_CHARS: usize = 300;
/// Entries shown on the story page; older ones are a plain link away.
pub const PAGE_ENTRIES: usize = 50;

/// Why an entry's text was refused.
pub const TOO_LONG: &str = "আপডেটটি ৫,০০০ অক্ষরের মধ্যে রাখুন।";
pub const EMPTY: &str = "আপডেটে কিছু লিখুন।";
pub const TOO_DEEP: &str = "আপডেটের এইচটিএমএল অনেক গভীরে সাজানো; সহজ করে লিখুন।";

/// The cheap checks on an entry's raw text, before it is sanitised.
pub fn check_raw_body(raw: &str) -> Result<(), &'static str> {
    if raw.len() > MAX_ENTRY_BYTES {
        return Err(TOO_LONG);
    }
    if text::html_depth(raw) > text::MAX_HTML_DEPTH {
        return Err(TOO_DEEP);
    }
    Ok(())
}

/// An entry's text as stored: plain text becomes paragraphs, HTML goes through the story
/// body's allow-list. CPU work proportional to the input: run it off the async workers, after
/// [`check_raw_body`].
pub fn clean_body(raw: &str) -> Result<String, &'static str> {
    check_raw_body(raw)?;
    let html = if text::looks_like_html(raw) {
        text::sanitize_html(raw)
    } else {
        text::paragraphs_to_html(raw)
    };
    let plain = text::html_to_text(&html);
    if !text::has_visible(&plain) {
        return Err(EMPTY);
    }
    if text::grapheme_len(&plain) > MAX_ENTRY_CHARS {
        return Err(TOO_LONG);
    }
    Ok(html)
}

/// An image's description, cleaned (empty: the media library's own is used).
pub fn clean_alt(raw: &str) -> Result<String, &'static str> {
    let too_long = "ছবির বর্ণনা ৩০০ অক্ষরের মধ্যে রাখুন।";
    if raw.len() > raw_bytes_for(MAX_ALT_CHARS) {
        return Err(too_long);
    }
    let alt = clean_line(raw);
    if text::grapheme_len(&alt) > MAX_ALT_CHARS {
        return Err(too_long);
    }
    Ok(alt)
}

/// Where an embed link points: the networks whose posts a live page may link to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    YouTube,
    Facebook,
    X,
}

impl Network {
    fn of_host(host: &str) -> Option<Network> {
        let host = host.strip_prefix("www.").unwrap_or(host);
        let host = host.strip_prefix("m.").unwrap_or(host);
        match host {
            "youtube.com" | "youtu.be" => Some(Network::YouTube),
            "facebook.com" | "fb.watch" => Some(Network::Facebook),
            "x.com" | "twitter.com" | "mobile.twitter.com" => Some(Network::X),
            _ => None,
        }
    }

    /// The network's name as the link card says it.
    pub fn label(self) -> &'static str {
        match self {
            Network::YouTube => "ইউটিউব",
            Network::Facebook => "ফেসবুক",
            Network::X => "এক্স (টুইটার)",
        }
    }
}

pub const BAD_EMBED: &str = "এমবেড লিংকটি ইউটিউব, ফেসবুক বা এক্সের (টুইটার) একটি https ঠিকানা হতে হবে।";

/// An embed link as stored (the URL re-serialised), or `None` when none was given.
pub fn parse_embed(raw: &str) -> Result<Option<String>, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if raw.chars().count() > MAX_EMBED_CHARS {
        return Err(BAD_EMBED);
    }
    let url = url::Url::parse(raw).map_err(|_| BAD_EMBED)?;
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let plain = url.scheme() == "https"
        && url.username().is_empty()
        && url.password().is_none()
        && url.port().is_none();
    if !plain || Network::of_host(&host).is_none() || url.path().len() < 2 {
        return Err(BAD_EMBED);
    }
    Ok(Some(url.to_string()))
}

/// The network of a stored embed link.
pub fn network(url: &str) -> Option<Network> {
    let url = url::Url::parse(url).ok()?;
    Network::of_host(&url.host_str()?.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_cleaned_and_limited() {
        assert_eq!(
            clean_body("প্রথম লাইন\n\nদ্বিতীয় <b>লাইন</b>").unwrap(),
            "<p>প্রথম লাইন</p>\n<p>দ্বিতীয় &lt;b&gt;লাইন&lt;/b&gt;</p>\n"
        );
        assert_eq!(
            clean_body("<p>ভোট <script>alert(1)</script>শুরু</p>").unwrap(),
            "<p>ভোট শুরু</p>"
        );
        assert_eq!(clean_body("  \n\u{200B}\n"), Err(EMPTY));
        assert_eq!(clean_body("<p><script>x</script></p>"), Err(EMPTY));
        assert_eq!(clean_body(&"ক".repeat(MAX_ENTRY_CHARS + 1)), Err(TOO_LONG));
        assert!(clean_body(&"ক".repeat(MAX_ENTRY_CHARS)).is_ok());
        assert_eq!(
            clean_body(&"ক".repeat(MAX_ENTRY_BYTES + 1)),
            Err(TOO_LONG),
            "refused unread"
        );
        assert_eq!(clean_body(&"<div>".repeat(200)), Err(TOO_DEEP));
    }

    #[test]
    fn only_https_links_to_three_networks_are_embedded() {
        for ok in [
            "https://www.youtube.com/watch?v=abc123",
            "https://youtu.be/abc123",
            "https://m.facebook.com/khobor/posts/1",
            "https://x.com/khobor/status/1",
            "https://twitter.com/khobor/status/1",
        ] {
            assert!(parse_embed(ok).unwrap().is_some(), "{ok}");
        }
        assert_eq!(parse_embed("  "), Ok(None));
        for bad in [
            "http://www.youtube.com/watch?v=abc",
            "https://evil.example/youtube.com",
            "https://youtube.com.evil.example/x",
            "javascript:alert(1)",
            "https://user@x.com/a",
            "https://x.com:8443/a",
            "https://x.com/",
            "ইউটিউব",
        ] {
            assert_eq!(parse_embed(bad), Err(BAD_EMBED), "{bad}");
        }
        assert_eq!(network("https://youtu.be/abc123"), Some(Network::YouTube));
    }

    #[test]
    fn an_image_description_is_one_line() {
        assert_eq!(clean_alt(" নৌকা\nঘাটে ").unwrap(), "নৌকা ঘাটে");
        assert!(clean_alt(&"ক".repeat(301)).is_err());
    }
}

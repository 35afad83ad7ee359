//! Counting readings for the most-read lists (সর্বাধিক পঠিত): which requests are readers, how
//! time is cut into counting windows, and the keyed hash that lets every node recognise a
//! reader it has already counted without anything about the reader being kept. Pure.
//!
//! A reading is one reader (address and browser) opening one story: it counts unless the same
//! reader opened the same story in the same half-hour window or the one before (so reloads
//! within half an hour never count twice, and none count after an hour), on whichever node
//! each request lands. The key of the hash is a
//! random salt per window, shared by the nodes through the store and deleted with the
//! window's marks when it closes, so a mark cannot be traced back to an address afterwards.

use sha2::{Digest, Sha256};

/// How long a reader's readings of one story count once: half an hour.
pub const WINDOW_SECONDS: i64 = 30 * 60;
/// The longest list period kept (seven days), plus a day's margin for the clock.
pub const KEEP_HOURS: i64 = 8 * 24;

/// The counting window `t` (Unix seconds) falls in.
pub fn window(t: i64) -> i64 {
    t.div_euclid(WINDOW_SECONDS)
}

/// The hour `t` falls in, as the store buckets views.
pub fn hour(t: i64) -> i64 {
    t.div_euclid(3600)
}

/// The periods the lists cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Day,
    Week,
}

impl Period {
    pub const ALL: [Period; 2] = [Period::Day, Period::Week];

    pub fn hours(self) -> i64 {
        match self {
            Period::Day => 24,
            Period::Week => 7 * 24,
        }
    }

    /// The first hour the period covers at `now`.
    pub fn since_hour(self, now: i64) -> i64 {
        hour(now) - self.hours() + 1
    }

    /// The heading readers see.
    pub fn label(self) -> &'static str {
        match self {
            Period::Day => "গত ২৪ ঘণ্টা",
            Period::Week => "গত ৭ দিন",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "24h",
            Period::Week => "7d",
        }
    }
}

/// Words in a User-Agent that only crawlers, link previewers, monitors and scripts send.
const NOT_READERS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "preview",
    "facebookexternalhit",
    "whatsapp",
    "headless",
    "lighthouse",
    "pingdom",
    "uptime",
    "monitor",
    "curl",
    "wget",
    "python",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww",
    "httpclient",
    "axios",
    "node-fetch",
];

/// Whether a request with this User-Agent and `Purpose`/`Sec-Purpose` header is a person
/// reading: a browser's User-Agent that names no crawler or tool, and not a prefetch.
pub fn is_reader(user_agent: Option<&str>, purpose: Option<&str>) -> bool {
    if purpose.is_some_and(|p| p.to_ascii_lowercase().contains("prefetch")) {
        return false;
    }
    let Some(ua) = user_agent.map(str::trim).filter(|ua| !ua.is_empty()) else {
        return false;
    };
    // Every browser sends "Mozilla/5.0 (…"; tools that do not pretend to be one are not readers.
    if !ua.starts_with("Mozilla/") {
        return false;
    }
    let ua = ua.to_ascii_lowercase();
    !NOT_READERS.iter().any(|w| ua.contains(w))
}

/// Who is reading, as the hash takes it: the address and the browser (cut to 256 bytes).
pub fn reader_key(address: &str, user_agent: &str) -> String {
    let mut ua = user_agent;
    if ua.len() > 256 {
        let mut end = 256;
        while !ua.is_char_boundary(end) {
            end -= 1;
        }
        ua = &ua[..end];
    }
    format!("{address}\n{ua}")
}

/// The mark a reading of `article` by `reader` leaves in `window`, keyed by the window's salt:
/// the same on every node, meaningless without the salt.
pub fn mark(salt: &str, window: i64, article: i64, reader: &str) -> i64 {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0]);
    h.update(window.to_be_bytes());
    h.update(article.to_be_bytes());
    h.update(reader.as_bytes());
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME: &str = "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

    #[test]
    fn browsers_are_readers_and_crawlers_tools_and_prefetches_are_not() {
        assert!(is_reader(Some(CHROME), None));
        assert!(is_reader(
            Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"),
            None
        ));
        for ua in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
            "curl/8.5.0",
            "python-requests/2.32.3",
            "",
        ] {
            assert!(!is_reader(Some(ua), None), "{ua}");
        }
        assert!(!is_reader(None, None));
        assert!(!is_reader(Some(CHROME), Some("prefetch")));
        assert!(!is_reader(Some(CHROME), Some("prefetch;prerender")));
    }

    #[test]
    fn windows_and_hours_cut_time_at_their_boundaries() {
        assert_eq!(window(0), 0);
        assert_eq!(window(WINDOW_SECONDS - 1), 0);
        assert_eq!(window(WINDOW_SECONDS), 1);
        assert_eq!(hour(7199), 1);
        assert_eq!(window(-1), -1);
        assert_eq!(Period::Day.since_hour(3600 * 100), 77);
        assert_eq!(Period::Week.since_hour(3600 * 200), 200 - 168 + 1);
    }

    #[test]
    fn a_mark_depends_on_salt_window_story_and_reader() {
        let r = reader_key("203.0.113.9", CHROME);
        let m = mark("salt", 10, 42, &r);
        assert_eq!(m, mark("salt", 10, 42, &r));
        assert_ne!(m, mark("other", 10, 42, &r));
        assert_ne!(m, mark("salt", 11, 42, &r));
        assert_ne!(m, mark("salt", 10, 43, &r));
        assert_ne!(m, mark("salt", 10, 42, &reader_key("203.0.113.10", CHROME)));
    }

    #[test]
    fn a_long_user_agent_is_cut_on_a_character_boundary() {
        let ua = format!("Mozilla/5.0 {}", "ব".repeat(200));
        let key = reader_key("::1", &ua);
        assert!(key.len() <= 4 + 256);
        assert!(key.starts_with("::1\nMozilla/5.0 "));
    }
}

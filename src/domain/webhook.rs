//! Webhooks, as rules: the events a receiver can ask for, what a change in the feed means to
//! them, the URLs and choices an admin may register, the retry schedule and the signature
//! every delivery carries. Pure: no database, HTTP or async crate (the HMAC is plain
//! SHA-256 arithmetic).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Longest webhook URL accepted.
pub const MAX_URL_CHARS: usize = 500;
/// Longest description accepted.
pub const MAX_DESCRIPTION_CHARS: usize = 200;
/// Webhooks a site may have (each event is written once per webhook).
pub const MAX_WEBHOOKS: i64 = 50;
/// Attempts before a delivery is given up as failed.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long the log keeps a delivery that is over (delivered or given up), in days.
pub const LOG_DAYS: i64 = 30;
/// How much of a receiver's answer the delivery log keeps.
pub const EXCERPT_CHARS: usize = 300;

/// What a receiver can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Event {
    /// A story became public.
    Published,
    /// A public story was changed (text, labels, a correction, a card).
    Updated,
    /// A public story went back to the desk (draft, review, scheduled, spiked or deleted).
    Unpublished,
    /// A breaking-news alert went up or was taken down.
    Breaking,
}

impl Event {
    pub const ALL: [Event; 4] = [
        Event::Published,
        Event::Updated,
        Event::Unpublished,
        Event::Breaking,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::Published => "published",
            Event::Updated => "updated",
            Event::Unpublished => "unpublished",
            Event::Breaking => "breaking",
        }
    }

    pub fn parse(s: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// A set of events as the store keeps it: names separated by spaces, in [`Event::ALL`]'s order.
pub fn events_text(events: &[Event]) -> String {
    Event::ALL
        .into_iter()
        .filter(|e| events.contains(e))
        .map(Event::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The events in a stored set (unknown names are passed over).
pub fn parse_events(text: &str) -> Vec<Event> {
    text.split_whitespace().filter_map(Event::parse).collect()
}

/// What a story's change in the feed means to webhooks, given whether the story was public
/// (announced as published and not since as unpublished) before it and whether it is public
/// now: the event, if any, and whether the story is public after it.
pub fn story_event(kind: &str, was_public: bool, published_now: bool) -> (Option<Event>, bool) {
    match kind {
        "article.published" if was_public => (Some(Event::Updated), true),
        "article.published" => (Some(Event::Published), true),
        // An import can make a story public with an update.
        "article.updated" if was_public => (Some(Event::Updated), true),
        "article.updated" if published_now => (Some(Event::Published), true),
        "article.updated" => (None, false),
        // draft, review, scheduled, spiked, deleted
        _ if was_public => (Some(Event::Unpublished), false),
        _ => (None, false),
    }
}

/// What a breaking-news change means to webhooks (`None`: nothing; an alert running out is
/// not news).
pub fn breaking_event(kind: &str) -> Option<&'static str> {
    match kind {
        "breaking.added" => Some("live"),
        "breaking.cleared" => Some("cleared"),
        _ => None,
    }
}

/// Why a webhook was refused, in the words the admin page shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("ঠিকানা দিন (https:// দিয়ে শুরু)।")]
    UrlMissing,
    #[error("ঠিকানা বড়জোর ৫০০ অক্ষরের হতে পারে।")]
    UrlTooLong,
    #[error("ঠিকানাটি পূর্ণ http:// বা https:// ঠিকানা হতে হবে (যেমন https://example.com/hooks/khobor)।")]
    UrlInvalid,
    #[error("ঠিকানায় নাম বা পাসওয়ার্ড রাখবেন না; প্রতিটি পাঠানো সই করা থাকে, গোপন চাবি দিয়ে যাচাই করুন।")]
    UrlCredentials,
    #[error("অন্তত একটি ঘটনা বেছে নিন।")]
    NoEvents,
    #[error("অজানা ঘটনা।")]
    UnknownEvent,
    #[error("বিবরণ বড়জোর ২০০ অক্ষরের হতে পারে।")]
    DescriptionTooLong,
}

/// A webhook URL: absolute http(s) with a host, no user name or password, no fragment, at
/// most [`MAX_URL_CHARS`].
pub fn parse_url(input: &str) -> Result<String, WebhookError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(WebhookError::UrlMissing);
    }
    if s.chars().count() > MAX_URL_CHARS {
        return Err(WebhookError::UrlTooLong);
    }
    let url = url::Url::parse(s).map_err(|_| WebhookError::UrlInvalid)?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none_or(str::is_empty)
        || url.fragment().is_some()
        || s.chars().any(char::is_whitespace)
    {
        return Err(WebhookError::UrlInvalid);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(WebhookError::UrlCredentials);
    }
    Ok(url.to_string())
}

/// The events ticked on the form: at least one, each known, no repeats.
pub fn parse_chosen(names: &[String]) -> Result<Vec<Event>, WebhookError> {
    let mut events = Vec::new();
    for name in names {
        let e = Event::parse(name.trim()).ok_or(WebhookError::UnknownEvent)?;
        if !events.contains(&e) {
            events.push(e);
        }
    }
    if events.is_empty() {
        return Err(WebhookError::NoEvents);
    }
    events.sort();
    Ok(events)
}

/// A description: trimmed, at most [`MAX_DESCRIPTION_CHARS`] characters.
pub fn parse_description(input: &str) -> Result<String, WebhookError> {
    let s = input.trim();
    if s.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(WebhookError::DescriptionTooLong);
    }
    Ok(s.to_owned())
}

/// How long to wait after failed attempt `attempt` (1-based) before the next; `None` once
/// [`MAX_ATTEMPTS`] have failed.
pub fn retry_after(attempt: i64) -> Option<i64> {
    const SCHEDULE: [i64; 7] = [10, 30, 120, 600, 1800, 3600, 3 * 3600];
    if !(1..MAX_ATTEMPTS).contains(&attempt) {
        return None;
    }
    Some(SCHEDULE[(attempt - 1) as usize])
}

/// The `Khobor-Signature` header for `body` sent at Unix time `t`:
/// `t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the secret>`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `header` signs `body` with `secret`, made no longer than `tolerance` seconds before
/// `now`: what a receiver does (docs/WEBHOOKS.md).
pub fn verify(secret: &str, header: &str, body: &str, now: i64, tolerance: i64) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if (now - t).abs() > tolerance {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac.verify_slice(&v1).is_ok()
}

/// What the admin page shows of a secret after it was first shown: its first characters.
pub fn secret_hint(secret: &str) -> String {
    format!("{}…", secret.chars().take(10).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_time_dot_body() {
        // RFC 4231 test case 2 shape, over "<t>.<body>": key "Jefe".
        let sig = signature("Jefe", 1, "what do ya want for nothing?");
        assert!(sig.starts_with("t=1,v1="));
        assert_eq!(sig.len(), "t=1,v1=".len() + 64);
        assert!(verify(
            "Jefe",
            &sig,
            "what do ya want for nothing?",
            100,
            300
        ));
        assert!(!verify(
            "Jefe",
            &sig,
            "what do ya want for nothing!",
            100,
            300
        ));
        assert!(!verify(
            "jefe",
            &sig,
            "what do ya want for nothing?",
            100,
            300
        ));
        assert!(!verify(
            "Jefe",
            &sig,
            "what do ya want for nothing?",
            1000,
            300
        ));
        // Known answer: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
        let mut mac = Hmac::<Sha256>::new_from_slice(b"key").unwrap();
        mac.update(b"The quick brown fox jumps over the lazy dog");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn urls_are_absolute_http_without_credentials() {
        assert_eq!(
            parse_url(" https://example.com/hooks?x=1 ").unwrap(),
            "https://example.com/hooks?x=1"
        );
        assert!(parse_url("http://127.0.0.1:9000/").is_ok());
        assert_eq!(parse_url(""), Err(WebhookError::UrlMissing));
        assert_eq!(parse_url("/hooks"), Err(WebhookError::UrlInvalid));
        assert_eq!(
            parse_url("ftp://example.com/"),
            Err(WebhookError::UrlInvalid)
        );
        assert_eq!(
            parse_url("javascript:alert(1)"),
            Err(WebhookError::UrlInvalid)
        );
        assert_eq!(
            parse_url("https://user:pw@example.com/"),
            Err(WebhookError::UrlCredentials)
        );
        let long = format!("https://example.com/{}", "a".repeat(600));
        assert_eq!(parse_url(&long), Err(WebhookError::UrlTooLong));
    }

    #[test]
    fn events_are_chosen_at_least_once() {
        assert_eq!(parse_chosen(&[]), Err(WebhookError::NoEvents));
        assert_eq!(
            parse_chosen(&["breaking".into(), "published".into(), "breaking".into()]).unwrap(),
            vec![Event::Published, Event::Breaking]
        );
        assert_eq!(
            parse_chosen(&["everything".into()]),
            Err(WebhookError::UnknownEvent)
        );
        assert_eq!(
            events_text(&[Event::Breaking, Event::Published]),
            "published breaking"
        );
        assert_eq!(
            parse_events("published breaking x"),
            vec![Event::Published, Event::Breaking]
        );
    }

    #[test]
    fn changes_become_events_by_what_was_public() {
        use Event::*;
        assert_eq!(
            story_event("article.published", false, true),
            (Some(Published), true)
        );
        assert_eq!(
            story_event("article.updated", true, true),
            (Some(Updated), true)
        );
        assert_eq!(story_event("article.updated", false, false), (None, false));
        assert_eq!(
            story_event("article.updated", false, true),
            (Some(Published), true)
        );
        assert_eq!(
            story_event("article.draft", true, false),
            (Some(Unpublished), false)
        );
        assert_eq!(story_event("article.spiked", false, false), (None, false));
        assert_eq!(
            story_event("article.deleted", true, false),
            (Some(Unpublished), false)
        );
        assert_eq!(breaking_event("breaking.added"), Some("live"));
        assert_eq!(breaking_event("breaking.expired"), None);
    }

    #[test]
    fn retries_back_off_then_give_up() {
        assert_eq!(retry_after(1), Some(10));
        assert_eq!(retry_after(2), Some(30));
        assert_eq!(retry_after(7), Some(3 * 3600));
        assert_eq!(retry_after(MAX_ATTEMPTS), None);
    }
}

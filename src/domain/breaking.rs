//! Breaking-news alerts (ব্রেকিং): one line, shown on every page for a while. PURE: the rules
//! for the line and for how long it stays up.

use super::text::{clean_line, raw_bytes_for};

/// Longest alert, in characters: a ticker line, not a story.
pub const MAX_TEXT_CHARS: usize = 200;
/// How long an alert may stay up, in minutes: five minutes to a day.
pub const MIN_MINUTES: i64 = 5;
pub const MAX_MINUTES: i64 = 24 * 60;

/// The alert's line cleaned, or what is wrong with it (raw length checked before cleaning).
pub fn clean_text(raw: &str) -> Result<String, &'static str> {
    if raw.len() > raw_bytes_for(MAX_TEXT_CHARS) {
        return Err("ব্রেকিং লাইনটি ২০০ অক্ষরের বেশি হতে পারবে না।");
    }
    let text = clean_line(raw);
    if text.is_empty() {
        return Err("ব্রেকিং লাইনটি লিখুন।");
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err("ব্রেকিং লাইনটি ২০০ অক্ষরের বেশি হতে পারবে না।");
    }
    Ok(text)
}

/// Minutes the alert stays up, from the form's text.
pub fn parse_minutes(raw: &str) -> Result<i64, &'static str> {
    match raw.trim().parse::<i64>() {
        Ok(m) if (MIN_MINUTES..=MAX_MINUTES).contains(&m) => Ok(m),
        _ => Err("কতক্ষণ দেখাবে, পাঁচ মিনিট থেকে এক দিনের মধ্যে বেছে নিন।"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_is_one_visible_line_up_for_five_minutes_to_a_day() {
        assert_eq!(
            clean_text(" সংসদ ভেঙে দেওয়া হয়েছে\n").unwrap(),
            "সংসদ ভেঙে দেওয়া হয়েছে"
        );
        assert!(clean_text("\u{200B}").is_err());
        assert!(clean_text(&"ক".repeat(201)).is_err());
        assert!(clean_text(&"ক".repeat(200)).is_ok());
        assert_eq!(parse_minutes("60"), Ok(60));
        assert!(parse_minutes("4").is_err());
        assert!(parse_minutes("1441").is_err());
        assert!(parse_minutes("ঘণ্টা").is_err());
    }
}

//! Corrections and updates on a published story: a correction says what was wrong and is now
//! right ("সংশোধনী"), an update says what was added since it was published ("হালনাগাদ").
//! PURE: the kinds and the rule for a note.

use serde::Serialize;

use super::text::{clean_line, raw_bytes_for};

/// Longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CorrectionKind {
    Correction,
    Update,
}

impl CorrectionKind {
    pub fn parse(s: &str) -> Option<CorrectionKind> {
        match s {
            "correction" => Some(CorrectionKind::Correction),
            "update" => Some(CorrectionKind::Update),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CorrectionKind::Correction => "correction",
            CorrectionKind::Update => "update",
        }
    }

    /// As readers see it above the note.
    pub fn label(self) -> &'static str {
        match self {
            CorrectionKind::Correction => "সংশোধনী",
            CorrectionKind::Update => "হালনাগাদ",
        }
    }
}

/// The note cleaned (one line, NFC, controls dropped), or what is wrong with it. The raw
/// length is checked before any cleaning.
pub fn clean_note(raw: &str) -> Result<String, &'static str> {
    if raw.len() > raw_bytes_for(MAX_NOTE_CHARS) {
        return Err("নোটটি ৫০০ অক্ষরের বেশি হতে পারবে না।");
    }
    let note = clean_line(raw);
    if note.is_empty() {
        return Err("কী বদলেছে তা এক লাইনে লিখুন।");
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err("নোটটি ৫০০ অক্ষরের বেশি হতে পারবে না।");
    }
    Ok(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_one_clean_line_of_at_most_500_characters() {
        assert_eq!(
            clean_note("  নিহতের সংখ্যা\n৫ নয়, ৭ জন।\u{0007} ").unwrap(),
            "নিহতের সংখ্যা ৫ নয়, ৭ জন।"
        );
        assert!(clean_note("").is_err());
        assert!(clean_note("\u{200B}\u{200B}").is_err(), "nothing visible");
        assert!(clean_note(&"ক".repeat(500)).is_ok());
        assert!(clean_note(&"ক".repeat(501)).is_err());
        assert!(clean_note(&"x".repeat(1_000_000)).is_err());
        assert_eq!(
            CorrectionKind::parse("update"),
            Some(CorrectionKind::Update)
        );
        assert_eq!(CorrectionKind::parse("Update"), None);
    }
}

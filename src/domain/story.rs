//! A story as the newsroom edits it: the fields of the editor form, how they are cleaned on
//! the way in (NFC, sanitised body), what makes them invalid, and what changed between two
//! versions.

use serde::{Deserialize, Serialize};

use super::text::{
    check_body, clean_line, grapheme_len, html_to_text, nfc, raw_bytes_for, sanitize_html,
    BodyError,
};

/// Limits, in graphemes (what a reader sees as characters).
pub const MAX_HEADLINE: usize = 200;
pub const MAX_KICKER: usize = 80;
pub const MAX_SUMMARY: usize = 600;
pub const MAX_LINE: usize = 120;
pub const MAX_BODY_BYTES: usize = 400_000;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG: usize = 60;
pub const MAX_CAPTION: usize = 300;
/// Items a tag or byline list may bring before de-duplication (a form may repeat a tag).
pub const MAX_RAW_ITEMS: usize = 100;

/// Everything a desk can edit. Stored whole in every revision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoryFields {
    pub headline: String,
    pub kicker: String,
    pub summary: String,
    pub body_html: String,
    pub section_id: i64,
    pub tags: Vec<String>,
    /// The places the story is about, as the editor writes them (see `geo::label`).
    pub places: Vec<String>,
    /// The places' ids, worked out from `places` by the story service before a save.
    #[serde(skip)]
    pub place_ids: Vec<i64>,
    pub authors: Vec<String>,
    pub credit: String,
    pub dateline: String,
    pub signature: String,
    pub hero_media_id: Option<i64>,
    pub hero_caption: String,
    pub hero_credit: String,
    /// Not to be published before this time (Unix seconds).
    pub embargo_until: Option<i64>,
}

/// A problem with one field, worded for the person filling the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl StoryFields {
    /// The cheap limits — bytes, counts, nesting depth — checked on the input as it arrived,
    /// before any work proportional to it (cleaning, de-duplicating, sanitising). A story
    /// that fails them is refused without being read further.
    pub fn check_raw(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut too_big = |field: &'static str, value: &str, max: usize| {
            if value.len() > raw_bytes_for(max) {
                errors.push(FieldError {
                    field,
                    message: format!("সর্বোচ্চ {} অক্ষর।", bn(max)),
                });
            }
        };
        too_big("headline", &self.headline, MAX_HEADLINE);
        too_big("kicker", &self.kicker, MAX_KICKER);
        too_big("summary", &self.summary, MAX_SUMMARY);
        too_big("credit", &self.credit, MAX_LINE);
        too_big("dateline", &self.dateline, MAX_LINE);
        too_big("signature", &self.signature, MAX_LINE);
        too_big("hero_caption", &self.hero_caption, MAX_CAPTION);
        too_big("hero_credit", &self.hero_credit, MAX_LINE);
        if let Some(t) = self.tags.iter().find(|t| t.len() > raw_bytes_for(MAX_TAG)) {
            too_big("tags", t, MAX_TAG);
        }
        if let Some(p) = self
            .places
            .iter()
            .find(|p| p.len() > raw_bytes_for(MAX_TAG))
        {
            too_big("places", p, MAX_TAG);
        }
        if let Some(a) = self
            .authors
            .iter()
            .find(|a| a.len() > raw_bytes_for(MAX_LINE))
        {
            too_big("authors", a, MAX_LINE);
        }
        if self.tags.len() > MAX_RAW_ITEMS {
            errors.push(FieldError {
                field: "tags",
                message: format!("সর্বোচ্চ {}টি ট্যাগ।", bn(MAX_TAGS)),
            });
        }
        if self.places.len() > MAX_RAW_ITEMS {
            errors.push(FieldError {
                field: "places",
                message: format!("সর্বোচ্চ {}টি স্থান।", bn(super::geo::MAX_PLACES)),
            });
        }
        if self.authors.len() > MAX_RAW_ITEMS {
            errors.push(FieldError {
                field: "authors",
                message: format!("সর্বোচ্চ {} জন প্রতিবেদক।", bn(MAX_RAW_ITEMS)),
            });
        }
        match check_body(&self.body_html) {
            Ok(()) => {}
            Err(BodyError::TooBig(_)) => errors.push(FieldError {
                field: "body",
                message: "লেখাটি খুব বড়; কয়েক ভাগে ভাগ করুন।".into(),
            }),
            Err(BodyError::TooDeep) => errors.push(FieldError {
                field: "body",
                message: "লেখার HTML খুব গভীরভাবে একটির ভেতরে আরেকটি বসানো; সাধারণ অনুচ্ছেদে লিখুন।".into(),
            }),
        }
        errors
    }

    /// NFC everywhere, one-line fields trimmed and folded, the body sanitised with the
    /// allow-list, tags and authors de-duplicated.
    pub fn cleaned(mut self) -> StoryFields {
        self.headline = clean_line(&self.headline);
        self.kicker = clean_line(&self.kicker);
        self.summary = nfc(self.summary.trim());
        self.body_html = sanitize_html(self.body_html.trim());
        self.credit = clean_line(&self.credit);
        self.dateline = clean_line(&self.dateline);
        self.signature = clean_line(&self.signature);
        self.hero_caption = clean_line(&self.hero_caption);
        self.hero_credit = clean_line(&self.hero_credit);
        self.tags = clean_list(&self.tags);
        self.places = clean_list(&self.places);
        self.authors = clean_list(&self.authors);
        self
    }

    /// Field errors, empty when the story can be saved.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut too_long = |field: &'static str, value: &str, max: usize| {
            let n = grapheme_len(value);
            if n > max {
                errors.push(FieldError {
                    field,
                    message: format!("সর্বোচ্চ {} অক্ষর; এখানে {} অক্ষর আছে।", bn(max), bn(n)),
                });
            }
        };
        too_long("headline", &self.headline, MAX_HEADLINE);
        too_long("kicker", &self.kicker, MAX_KICKER);
        too_long("summary", &self.summary, MAX_SUMMARY);
        too_long("credit", &self.credit, MAX_LINE);
        too_long("dateline", &self.dateline, MAX_LINE);
        too_long("signature", &self.signature, MAX_LINE);
        too_long("hero_caption", &self.hero_caption, MAX_CAPTION);
        too_long("hero_credit", &self.hero_credit, MAX_LINE);
        for t in &self.tags {
            too_long("tags", t, MAX_TAG);
        }
        for a in &self.authors {
            too_long("authors", a, MAX_LINE);
        }
        if self.headline.is_empty() {
            errors.push(FieldError {
                field: "headline",
                message: "শিরোনাম লিখুন।".into(),
            });
        }
        if self.body_html.len() > MAX_BODY_BYTES {
            errors.push(FieldError {
                field: "body",
                message: "লেখাটি খুব বড়; কয়েক ভাগে ভাগ করুন।".into(),
            });
        }
        if self.tags.len() > MAX_TAGS {
            errors.push(FieldError {
                field: "tags",
                message: format!("সর্বোচ্চ {}টি ট্যাগ।", bn(MAX_TAGS)),
            });
        }
        if self.places.len() > super::geo::MAX_PLACES {
            errors.push(FieldError {
                field: "places",
                message: format!("সর্বোচ্চ {}টি স্থান।", bn(super::geo::MAX_PLACES)),
            });
        }
        if self.section_id <= 0 {
            errors.push(FieldError {
                field: "section_id",
                message: "বিভাগ বেছে নিন।".into(),
            });
        }
        errors
    }

    pub fn body_text(&self) -> String {
        html_to_text(&self.body_html)
    }

    /// The names of the fields that differ between two versions, in form order.
    pub fn changed_fields(&self, other: &StoryFields) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut check = |name: &'static str, same: bool| {
            if !same {
                out.push(name);
            }
        };
        check("headline", self.headline == other.headline);
        check("kicker", self.kicker == other.kicker);
        check("summary", self.summary == other.summary);
        check("body", self.body_html == other.body_html);
        check("section", self.section_id == other.section_id);
        check("tags", self.tags == other.tags);
        check("places", self.places == other.places);
        check("authors", self.authors == other.authors);
        check("credit", self.credit == other.credit);
        check("dateline", self.dateline == other.dateline);
        check("signature", self.signature == other.signature);
        check(
            "hero",
            self.hero_media_id == other.hero_media_id
                && self.hero_caption == other.hero_caption
                && self.hero_credit == other.hero_credit,
        );
        check("embargo", self.embargo_until == other.embargo_until);
        out
    }
}

/// How a field is named on the form (for change lists and diffs).
pub fn field_label(name: &str) -> &'static str {
    match name {
        "headline" => "শিরোনাম",
        "kicker" => "কিকার",
        "summary" => "সারসংক্ষেপ",
        "body" => "মূল লেখা",
        "section" | "section_id" => "বিভাগ",
        "tags" => "ট্যাগ",
        "places" => "স্থান",
        "authors" => "প্রতিবেদক",
        "credit" => "সংস্থা",
        "dateline" => "ডেটলাইন",
        "signature" => "ডেস্ক স্বাক্ষর",
        "hero" => "প্রধান ছবি",
        "embargo" => "এমবার্গো",
        _ => "অন্যান্য",
    }
}

/// A comma-separated form field as a list of its raw items (cleaned later, with the rest of
/// the story, once the counts are known to be sane).
pub fn split_list(s: &str) -> Vec<String> {
    s.split([',', '،'])
        .filter(|item| !item.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// Cleaned, empty items dropped, duplicates dropped keeping the first: linear in the list.
fn clean_list(items: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let item = clean_line(item);
        if !item.is_empty() && seen.insert(item.clone()) {
            out.push(item);
        }
    }
    out
}

fn bn(n: usize) -> String {
    bangla::digits::to_bengali_digits(&n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn story() -> StoryFields {
        StoryFields {
            headline: "  বাজেট   পাস  ".into(),
            body_html: "<p onclick=\"x()\">সংসদে <script>alert(1)</script>বাজেট</p>".into(),
            section_id: 1,
            tags: vec!["বাজেট".into(), " বাজেট ".into(), "".into()],
            ..Default::default()
        }
    }

    #[test]
    fn cleaning_normalises_and_sanitises() {
        let s = story().cleaned();
        assert_eq!(s.headline, "বাজেট পাস");
        assert_eq!(s.body_html, "<p>সংসদে বাজেট</p>");
        assert_eq!(s.tags, vec!["বাজেট"]);
        // য় typed as য + nukta is stored precomposed.
        let s = StoryFields {
            headline: "নির্বাচনে জয\u{09BC}".into(),
            ..story()
        }
        .cleaned();
        assert_eq!(s.headline, "নির্বাচনে জয়");
    }

    #[test]
    fn validation_names_the_field() {
        assert!(story().cleaned().validate().is_empty());
        let long = StoryFields {
            headline: "ক".repeat(MAX_HEADLINE + 1),
            ..story()
        };
        let errors = long.validate();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "headline");
        assert!(errors[0].message.contains("২০০"), "{}", errors[0].message);
        let empty = StoryFields {
            headline: String::new(),
            section_id: 0,
            ..story()
        };
        let fields: Vec<_> = empty.validate().iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["headline", "section_id"]);
    }

    #[test]
    fn changed_fields_lists_what_differs() {
        let a = story().cleaned();
        let mut b = a.clone();
        assert!(a.changed_fields(&b).is_empty());
        b.headline = "নতুন শিরোনাম".into();
        b.hero_caption = "ক্যাপশন".into();
        assert_eq!(a.changed_fields(&b), vec!["headline", "hero"]);
    }

    #[test]
    fn lists_split_on_commas() {
        let s = StoryFields {
            tags: split_list("ঢাকা, নির্বাচন ,ঢাকা,, "),
            ..story()
        }
        .cleaned();
        assert_eq!(s.tags, vec!["ঢাকা".to_owned(), "নির্বাচন".to_owned()]);
    }

    #[test]
    fn raw_limits_refuse_abuse_before_any_cleaning() {
        // 60,000 tags once cost 26 s of de-duplication before the count was checked.
        let tags = StoryFields {
            tags: split_list(
                &(0..60_000)
                    .map(|i| format!("t{i}"))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            ..story()
        };
        assert_eq!(
            tags.check_raw().iter().map(|e| e.field).collect::<Vec<_>>(),
            vec!["tags"]
        );
        let deep = StoryFields {
            body_html: "<blockquote>".repeat(50_000),
            ..story()
        };
        assert_eq!(deep.check_raw()[0].field, "body");
        let nested = StoryFields {
            body_html: "<div>".repeat(1_000),
            ..story()
        };
        assert_eq!(nested.check_raw()[0].field, "body");
        let initials = StoryFields {
            signature: "ক".repeat(50_000),
            ..story()
        };
        assert_eq!(initials.check_raw()[0].field, "signature");
        assert!(story().check_raw().is_empty());
    }

    #[test]
    fn invisible_or_control_only_headlines_are_refused() {
        for h in ["\u{200b}", "\u{0}\u{7}", " \u{feff} "] {
            let s = StoryFields {
                headline: h.into(),
                ..story()
            }
            .cleaned();
            assert_eq!(s.validate()[0].field, "headline", "{h:?}");
        }
        let s = StoryFields {
            headline: "নিয়ন্ত্রণ\u{0}অক্ষর\u{7}".into(),
            ..story()
        }
        .cleaned();
        assert_eq!(s.headline, "নিয়ন্ত্রণঅক্ষর");
    }
}

//! A readable diff between two versions of a story: for each field that changed, the words
//! taken out (`<del>`) and put in (`<ins>`), as escaped HTML ready for the revisions page.

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use super::story::{field_label, StoryFields};
use super::text::html_to_text;

#[derive(Debug, Clone, Serialize)]
pub struct FieldDiff {
    pub field: &'static str,
    pub label: &'static str,
    /// Escaped HTML with `<del>`/`<ins>` around changed words.
    pub html: String,
}

fn field_text(f: &StoryFields, field: &str) -> String {
    match field {
        "headline" => f.headline.clone(),
        "kicker" => f.kicker.clone(),
        "summary" => f.summary.clone(),
        "body" => html_to_text(&f.body_html),
        "section" => f.section_id.to_string(),
        "tags" => f.tags.join(", "),
        "authors" => f.authors.join(", "),
        "credit" => f.credit.clone(),
        "dateline" => f.dateline.clone(),
        "signature" => f.signature.clone(),
        "hero" => format!(
            "{} {} {}",
            f.hero_media_id.map(|m| format!("#{m}")).unwrap_or_default(),
            f.hero_caption,
            f.hero_credit
        )
        .trim()
        .to_owned(),
        "embargo" => f.embargo_until.map(|e| e.to_string()).unwrap_or_default(),
        _ => String::new(),
    }
}

/// Word-level changes from `old` to `new`, one entry per changed field, in form order.
pub fn diff(old: &StoryFields, new: &StoryFields) -> Vec<FieldDiff> {
    old.changed_fields(new)
        .into_iter()
        .map(|field| FieldDiff {
            field,
            label: field_label(field),
            html: word_diff(&field_text(old, field), &field_text(new, field)),
        })
        .collect()
}

/// Escaped HTML of the words of `new`, with removed words in `<del>` and added in `<ins>`.
pub fn word_diff(old: &str, new: &str) -> String {
    let diff = TextDiff::from_words(old, new);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        let text = html_escape::encode_text(change.value());
        match change.tag() {
            ChangeTag::Equal => out.push_str(&text),
            ChangeTag::Delete => {
                out.push_str("<del>");
                out.push_str(&text);
                out.push_str("</del>");
            }
            ChangeTag::Insert => {
                out.push_str("<ins>");
                out.push_str(&text);
                out.push_str("</ins>");
            }
        }
    }
    out.replace("</del><del>", "").replace("</ins><ins>", "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_in_and_out_are_marked_and_escaped() {
        let html = word_diff("সংসদে বাজেট পাস", "সংসদে <নতুন> বাজেট অনুমোদন");
        assert!(html.contains("<ins>&lt;নতুন&gt; </ins>"), "{html}");
        assert!(html.contains("<del>পাস</del><ins>অনুমোদন</ins>"), "{html}");
    }

    #[test]
    fn only_changed_fields_are_listed() {
        let a = StoryFields {
            headline: "এক".into(),
            body_html: "<p>প্রথম অনুচ্ছেদ</p>".into(),
            ..Default::default()
        };
        let b = StoryFields {
            body_html: "<p>প্রথম অনুচ্ছেদ বদলেছে</p>".into(),
            ..a.clone()
        };
        let d = diff(&a, &b);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].field, "body");
        assert_eq!(d[0].label, "মূল লেখা");
        assert!(d[0].html.contains("<ins>"), "{}", d[0].html);
    }
}

//! Text rules shared by every way content enters Khobor: NFC normalisation, plain text to
//! paragraphs, and the HTML allow-list that bodies are sanitised with.

use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// Bengali text is stored in NFC so that the same word always has the same bytes.
pub fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// NFC, trimmed, with internal runs of white space folded to one space (for one-line fields).
pub fn clean_line(s: &str) -> String {
    nfc(&s.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Length in user-perceived characters: "ক্ষমতা" is 3 graphemes, 18 bytes.
pub fn grapheme_len(s: &str) -> usize {
    s.graphemes(true).count()
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static CLEAN: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEAN.get_or_init(|| {
        let mut b = ammonia::Builder::empty();
        b.add_tags([
            "p",
            "h2",
            "h3",
            "h4",
            "strong",
            "b",
            "em",
            "i",
            "u",
            "s",
            "a",
            "blockquote",
            "ul",
            "ol",
            "li",
            "br",
            "figure",
            "figcaption",
            "img",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "sup",
            "sub",
            "hr",
        ])
        .add_tag_attributes("a", ["href", "title"])
        .add_tag_attributes("img", ["src", "alt", "width", "height"])
        .add_tag_attributes("figure", ["data-embed"])
        .add_allowed_classes("figure", ["embed", "image"])
        .add_tag_attributes("th", ["colspan", "rowspan"])
        .add_tag_attributes("td", ["colspan", "rowspan"])
        .url_schemes(["http", "https", "mailto", "tel"].into())
        .link_rel(Some("noopener noreferrer"))
        .clean_content_tags(
            [
                "script", "style", "xml", "head", "title", "template", "noscript", "iframe",
                "object", "embed", "svg", "math",
            ]
            .into(),
        )
        .strip_comments(true);
        b
    })
}

/// Sanitises HTML with Khobor's allow-list: no scripts, styles, event attributes or
/// `javascript:` links survive.
pub fn sanitize_html(html: &str) -> String {
    sanitizer().clean(&nfc(html)).to_string()
}

/// Whether a body from outside is already HTML (rather than plain text with blank lines).
pub fn looks_like_html(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    ["<p", "</p>", "<br", "<div", "<h2", "<ul", "<blockquote"]
        .iter()
        .any(|t| lower.contains(t))
}

/// Plain text to paragraphs: each non-empty line becomes one escaped `<p>`.
pub fn paragraphs_to_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            continue;
        }
        out.push_str("<p>");
        out.push_str(&html_escape::encode_text(&nfc(&line)));
        out.push_str("</p>\n");
    }
    out
}

/// A body from outside, plain text or HTML, as stored: sanitised HTML.
pub fn body_to_html(body: &str) -> String {
    if looks_like_html(body) {
        sanitize_html(body)
    } else {
        paragraphs_to_html(body)
    }
}

/// The plain text of stored HTML, for search and summaries: tags dropped, entities decoded,
/// paragraphs kept apart by a blank line.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut tag = String::new();
    for ch in html.chars() {
        match (in_tag, ch) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
            }
            (true, '>') => {
                in_tag = false;
                let name = tag.trim_start_matches('/').to_ascii_lowercase();
                let name = name.split_whitespace().next().unwrap_or("");
                if matches!(
                    name,
                    "p" | "br" | "h2" | "h3" | "h4" | "li" | "blockquote" | "tr" | "figcaption"
                ) && !out.ends_with("\n\n")
                    && !out.is_empty()
                {
                    out.push_str("\n\n");
                }
            }
            (true, c) => tag.push(c),
            (false, c) => out.push(c),
        }
    }
    let text = html_escape::decode_html_entities(&out).into_owned();
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// At most `max` graphemes of `text`, cut at a word boundary, ending in an ellipsis if cut.
/// Reads only as far as it needs: bodies can be long and this runs on every page view.
pub fn excerpt(text: &str, max: usize) -> String {
    let budget = max.saturating_sub(1);
    let mut out = String::new();
    let mut count = 0;
    // Where to cut if the text turns out too long: the last word end that leaves room for "…".
    let mut cut_at = 0;
    for word in text.split_whitespace() {
        let add = usize::from(!out.is_empty()) + grapheme_len(word);
        if count + add > max {
            out.truncate(cut_at);
            out.push('…');
            return out;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
        count += add;
        if count <= budget {
            cut_at = out.len();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_events_and_javascript_links_are_removed() {
        let dirty = r#"<p onclick="x()">বৈঠক <script>alert(1)</script><a href="javascript:alert(1)">লিংক</a><a href="https://example.org/">ঠিক</a></p><style>p{}</style>"#;
        let clean = sanitize_html(dirty);
        assert!(!clean.contains("script"), "{clean}");
        assert!(
            !clean.contains("alert"),
            "script content is dropped too: {clean}"
        );
        assert!(!clean.contains("onclick"), "{clean}");
        assert!(!clean.contains("javascript"), "{clean}");
        assert!(!clean.contains("<style"), "{clean}");
        assert!(clean.contains(r#"href="https://example.org/""#), "{clean}");
    }

    #[test]
    fn plain_text_becomes_escaped_paragraphs() {
        let html = body_to_html("প্রথম অনুচ্ছেদ <b>\n\n  দ্বিতীয়   অনুচ্ছেদ\n");
        assert_eq!(html, "<p>প্রথম অনুচ্ছেদ &lt;b&gt;</p>\n<p>দ্বিতীয় অনুচ্ছেদ</p>\n");
        assert_eq!(html_to_text(&html), "প্রথম অনুচ্ছেদ <b>\n\nদ্বিতীয় অনুচ্ছেদ");
    }

    #[test]
    fn lengths_count_graphemes_and_excerpts_cut_at_words() {
        assert_eq!(grapheme_len("ক্ষমতা"), 3);
        assert_eq!(excerpt("এক দুই তিন চার", 8), "এক দুই…");
        assert_eq!(excerpt("এক দুই", 80), "এক দুই");
        assert_eq!(excerpt("এক  দুই\nতিন", 8), "এক দুই তিন");
        assert_eq!(excerpt("একটানা", 3), "…");
    }
}

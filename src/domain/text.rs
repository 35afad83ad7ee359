//! Text rules shared by every way content enters Khobor: control characters dropped, NFC
//! normalisation, plain text to paragraphs, and the HTML allow-list that bodies are sanitised
//! with (after the cheap limits that keep sanitising linear).

use std::borrow::Cow;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// Whether a character may be stored in text at all. C0 and C1 controls other than tab, line
/// feed and carriage return, DEL, and the non-characters U+FFFE/U+FFFF are not text: one of
/// them in a headline makes every feed and sitemap ill-formed XML for every subscriber.
pub fn is_storable(c: char) -> bool {
    !matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{fffe}' | '\u{ffff}')
}

/// The text without the characters [`is_storable`] refuses (borrowed when there are none).
pub fn strip_controls(s: &str) -> Cow<'_, str> {
    if s.chars().all(is_storable) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|c| is_storable(*c)).collect())
    }
}

/// Characters that take no room on the page: zero-width space and joiners, word joiner, BOM,
/// soft hyphen, direction marks and isolates, variation selectors.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{115f}' | '\u{1160}' | '\u{180e}'
        | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}'
        | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{ffa0}')
}

/// Whether a reader would see anything: a headline of only U+200B is an invisible story.
pub fn has_visible(s: &str) -> bool {
    s.chars().any(|c| !c.is_whitespace() && !is_invisible(c))
}

/// Bengali text is stored in NFC so that the same word always has the same bytes; characters
/// that are not text are dropped on the way.
pub fn nfc(s: &str) -> String {
    let s = strip_controls(s);
    // Most text arrives composed: a quick check in one pass, and a copy, instead of
    // decomposing and recomposing every character (the import's costliest step otherwise).
    if unicode_normalization::is_nfc_quick(s.chars()) == unicode_normalization::IsNormalized::Yes {
        return s.into_owned();
    }
    s.nfc().collect()
}

/// NFC, trimmed, with internal runs of white space folded to one space (for one-line fields).
/// A line with nothing visible in it is empty.
pub fn clean_line(s: &str) -> String {
    let line = nfc(&s.split_whitespace().collect::<Vec<_>>().join(" "));
    if has_visible(&line) {
        line
    } else {
        String::new()
    }
}

/// How many bytes of raw input a field of `graphemes` characters may bring before it is
/// cleaned: a Bengali conjunct with its vowel sign is up to about 20 bytes, and folding white
/// space and markup can shrink text a little. Anything longer is refused unread.
pub const fn raw_bytes_for(graphemes: usize) -> usize {
    graphemes * 24 + 64
}

/// Bodies are refused, before sanitising, when bigger than this or nested deeper than
/// [`MAX_HTML_DEPTH`]: the HTML parser checks element scopes against every open element, so
/// deep nesting makes sanitising quadratic (50,000 nested `<blockquote>` took 35 s).
pub const MAX_RAW_BODY_BYTES: usize = 1_000_000;
pub const MAX_HTML_DEPTH: usize = 100;

/// Why a body was refused before any parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the body is {0} bytes; at most {MAX_RAW_BODY_BYTES} are accepted")]
    TooBig(usize),
    #[error("the body's HTML is nested deeper than {MAX_HTML_DEPTH} elements")]
    TooDeep,
}

/// Elements that never hold others, and those whose end the parser implies when a sibling
/// starts (so `<p>a<p>b` is two paragraphs, not one inside the other).
const NOT_NESTING: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "dt", "dd", "option", "tr", "td", "th",
];

/// An upper bound on how deep the elements of `html` nest, read in one pass without parsing:
/// start tags count up, end tags down.
pub fn html_depth(html: &str) -> usize {
    let bytes = html.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(off) = memchr_lt(&bytes[i..]) {
        i += off + 1;
        let closing = bytes.get(i) == Some(&b'/');
        let start = i + usize::from(closing);
        let end = bytes[start..]
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .map_or(bytes.len(), |n| start + n);
        if end == start || !bytes[start].is_ascii_alphabetic() {
            continue;
        }
        let name = html[start..end].to_ascii_lowercase();
        if NOT_NESTING.contains(&name.as_str()) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            let self_closing = bytes[end..]
                .iter()
                .position(|b| *b == b'>')
                .is_some_and(|n| n > 0 && bytes[end + n - 1] == b'/');
            if !self_closing {
                depth += 1;
                max = max.max(depth);
            }
        }
    }
    max
}

fn memchr_lt(b: &[u8]) -> Option<usize> {
    b.iter().position(|c| *c == b'<')
}

/// The cheap checks a body passes before it is sanitised.
pub fn check_body(html: &str) -> Result<(), BodyError> {
    if html.len() > MAX_RAW_BODY_BYTES {
        return Err(BodyError::TooBig(html.len()));
    }
    if html_depth(html) > MAX_HTML_DEPTH {
        return Err(BodyError::TooDeep);
    }
    Ok(())
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
/// `javascript:` links survive. Callers check [`check_body`] first; this is CPU work
/// proportional to the input and belongs off the async workers.
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
pub fn body_to_html(body: &str) -> Result<String, BodyError> {
    check_body(body)?;
    Ok(if looks_like_html(body) {
        sanitize_html(body)
    } else {
        paragraphs_to_html(body)
    })
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
        let html = body_to_html("প্রথম অনুচ্ছেদ <b>\n\n  দ্বিতীয়   অনুচ্ছেদ\n").unwrap();
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

    #[test]
    fn control_characters_are_dropped_and_invisible_lines_are_empty() {
        assert_eq!(nfc("নিয়ন্ত্রণ\u{0}অক্ষর\u{7}\u{85}পরীক্ষা"), "নিয়ন্ত্রণঅক্ষরপরীক্ষা");
        assert_eq!(nfc("এক\tদুই\nতিন"), "এক\tদুই\nতিন");
        assert_eq!(clean_line("\u{200b}"), "");
        assert_eq!(clean_line(" \u{200b}\u{feff}\u{200d} "), "");
        assert_eq!(clean_line("র\u{200d}\u{9cd}যাব"), "র\u{200d}\u{9cd}যাব");
        assert!(has_visible("ক"));
        assert!(!has_visible("\u{200c}\u{2060}"));
    }

    #[test]
    fn nesting_depth_is_bounded_before_sanitising() {
        assert_eq!(html_depth("<p>এক<p>দুই<br><img src=x /></p>"), 0);
        assert_eq!(html_depth("<blockquote><p><b>ক</b></p></blockquote>"), 2);
        assert_eq!(html_depth("<ul><li>এক<li>দুই</ul><div/>"), 1);
        assert_eq!(html_depth("a < b, 3<4 </>"), 0);
        let deep = "<blockquote>".repeat(MAX_HTML_DEPTH + 1);
        assert_eq!(check_body(&deep), Err(BodyError::TooDeep));
        let ok = "<blockquote>ক</blockquote>".repeat(10_000);
        assert_eq!(check_body(&ok), Ok(()));
        let big = "ক".repeat(MAX_RAW_BODY_BYTES / 3 + 1);
        assert!(matches!(check_body(&big), Err(BodyError::TooBig(_))));
        assert!(body_to_html(&deep).is_err());
    }
}

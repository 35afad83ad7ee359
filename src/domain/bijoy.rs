//! Text typed in Bijoy (SutonnyMJ glyph codes in Latin letters) turned into Unicode Bengali on
//! the way in: pasted into the editor, imported, or sent through `khobor bijoy`. The
//! converter and the detector are `bangla::bijoy`; this module applies them to plain fields
//! and to story bodies in HTML, where only the text between tags is Bijoy (tags, attribute
//! values and URLs are left alone).

use crate::domain::text::html_to_text;

/// Whether incoming text that looks like Bijoy is converted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BijoyMode {
    /// Convert each field that the detector says is Bijoy; leave English and Unicode Bengali.
    #[default]
    Auto,
    /// Never convert.
    Off,
}

/// `text` in Unicode if it is Bijoy, else `None`.
pub fn convert_text(text: &str) -> Option<String> {
    bangla::bijoy::convert_if_bijoy(text)
}

/// Replaces `field` with its Unicode form if it is Bijoy; whether it was.
pub fn convert_field(field: &mut String) -> bool {
    match convert_text(field) {
        Some(unicode) => {
            *field = unicode;
            true
        }
        None => false,
    }
}

/// Replaces the text of the HTML body `html` with its Unicode form if it is Bijoy; whether
/// it was.
pub fn convert_body(html: &mut String) -> bool {
    match convert_html(html) {
        Some(unicode) => {
            *html = unicode;
            true
        }
        None => false,
    }
}

/// `html` with its text converted from Bijoy, if its text (without the markup) is Bijoy;
/// else `None`. Tags are copied as they are; character references in the text are read
/// first (in Bijoy `&` is the hasanta, so it arrives as `&amp;`) and the result is escaped.
pub fn convert_html(html: &str) -> Option<String> {
    if !html.contains('<') && !html.contains('&') {
        return convert_text(html);
    }
    if !bangla::bijoy::looks_like_bijoy(&html_to_text(html)) {
        return None;
    }
    let mut out = String::with_capacity(html.len() * 2);
    let mut rest = html;
    while !rest.is_empty() {
        if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |i| i + 1);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = unescape(&rest[..end]);
            escape_into(&bangla::bijoy::to_unicode(&text), &mut out);
            rest = &rest[end..];
        }
    }
    Some(out)
}

/// Reads the character references of a text run: the named ones an editor or exporter
/// writes, and numeric ones. An unknown name is kept as written.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let reference = rest[1..]
            .find(';')
            .filter(|&n| n <= 10)
            .map(|n| &rest[1..=n]);
        let decoded = reference.and_then(|name| match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => {
                let n = name.strip_prefix('#')?;
                let code = match n.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => n.parse().ok()?,
                };
                char::from_u32(code)
            }
        });
        match (decoded, reference) {
            (Some(c), Some(name)) => {
                out.push(c);
                rest = &rest[name.len() + 2..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // "বাংলাদেশ" and "সরকার" typed in Bijoy.
    const BANGLADESH: &str = "evsjv‡`k";
    const SARKAR: &str = "miKvi";

    #[test]
    fn plain_bijoy_is_converted_and_english_or_unicode_is_not() {
        let line = format!("{BANGLADESH} {SARKAR} Ges RbMY");
        let converted = convert_text(&line).expect("Bijoy");
        assert!(converted.starts_with("বাংলাদেশ সরকার"), "{converted}");
        assert_eq!(convert_text("The government said on Monday"), None);
        assert_eq!(convert_text("বাংলাদেশ সরকার"), None);
    }

    #[test]
    fn only_the_text_of_html_is_converted() {
        let html = format!(
            "<p class=\"lead\">{BANGLADESH} {SARKAR}</p><p><a href=\"https://example.com/Kv\">{SARKAR} Ges RbMY</a></p>"
        );
        let out = convert_html(&html).expect("Bijoy");
        assert_eq!(
            out,
            "<p class=\"lead\">বাংলাদেশ সরকার</p><p><a href=\"https://example.com/Kv\">সরকার এবং জনগণ</a></p>"
        );
        assert_eq!(convert_html("<p>The <b>government</b> said</p>"), None);
    }

    #[test]
    fn an_escaped_ampersand_is_the_hasanta() {
        // "K&" is ক with an explicit hasanta; in HTML the & arrives escaped.
        let html = format!("<p>{BANGLADESH} {SARKAR} K&amp;</p>");
        let out = convert_html(&html).expect("Bijoy");
        assert_eq!(out, "<p>বাংলাদেশ সরকার ক্</p>");
        assert_eq!(
            unescape("a &lt;b&gt; &#2453; &#x995; &unknown; &"),
            "a <b> ক ক &unknown; &"
        );
    }
}

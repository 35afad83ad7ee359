//! Highlighted snippets: the stretch of a story's text with the most query words, the words
//! wrapped in `<mark>`. Works on the original text with the analyzer's byte offsets, and
//! measures length in characters.

use std::collections::BTreeSet;

/// Characters of context in a snippet.
pub const SNIPPET_CHARS: usize = 220;

/// Escaped HTML: the best window of `text` with matching words marked.
pub fn snippet(text: &str, stems: &BTreeSet<String>, exact: &BTreeSet<String>) -> String {
    let tokens = bangla::tokenise::tokenise(text);
    // Stemming every word of a long story is the slow part; a word can only stem to one of
    // `stems` if it starts with the same letter (the stemmer folds long ঈ/ঊ to ই/উ).
    let initials: BTreeSet<char> = stems
        .iter()
        .filter_map(|s| s.chars().next())
        .flat_map(|c| match c {
            'ই' => vec!['ই', 'ঈ'],
            'উ' => vec!['উ', 'ঊ'],
            c => vec![c],
        })
        .collect();
    let hits: Vec<(usize, usize)> = tokens
        .iter()
        .filter(|t| {
            exact.contains(&t.text)
                || (t.text.chars().next().is_some_and(|c| initials.contains(&c))
                    && stems.contains(&bangla::stem::stem(&t.text)))
        })
        .map(|t| (t.start, t.end))
        .collect();
    // Best window: the one starting at a hit that covers the most hits within SNIPPET_CHARS.
    let (mut start, mut best) = (0, 0);
    for (i, &(s, _)) in hits.iter().enumerate() {
        let limit = char_offset(text, s, SNIPPET_CHARS);
        let covered = hits[i..].iter().take_while(|(_, e)| *e <= limit).count();
        if covered > best {
            best = covered;
            start = s;
        }
    }
    // Open the window a little before the first hit, at a word boundary.
    let start = back_to_word(text, start, 40);
    let end = char_offset(text, start, SNIPPET_CHARS);
    let end = forward_to_word(text, end);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut at = start;
    for &(s, e) in hits.iter().filter(|(s, e)| *s >= start && *e <= end) {
        out.push_str(&html_escape::encode_text(&text[at..s]));
        out.push_str("<mark>");
        out.push_str(&html_escape::encode_text(&text[s..e]));
        out.push_str("</mark>");
        at = e;
    }
    out.push_str(&html_escape::encode_text(&text[at..end]));
    if end < text.len() {
        out.push('…');
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The byte offset `n` characters after `from` (or the end).
fn char_offset(text: &str, from: usize, n: usize) -> usize {
    text[from..]
        .char_indices()
        .nth(n)
        .map(|(i, _)| from + i)
        .unwrap_or(text.len())
}

fn back_to_word(text: &str, at: usize, n: usize) -> usize {
    let before: Vec<(usize, char)> = text[..at].char_indices().collect();
    let from = before.len().saturating_sub(n);
    before[from..]
        .iter()
        .find(|(_, c)| c.is_whitespace())
        .map(|(i, c)| i + c.len_utf8())
        .filter(|_| from > 0)
        .unwrap_or(if from == 0 { 0 } else { before[from].0 })
}

fn forward_to_word(text: &str, at: usize) -> usize {
    text[at..]
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map(|(i, _)| at + i)
        .unwrap_or(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflected_matches_are_marked_in_the_original_text() {
        let stems: BTreeSet<String> = [bangla::stem::stem("ঢাকা")].into();
        let s = snippet(
            "আজ ঢাকায় বৃষ্টি হয়েছে। <ঢাকার> আকাশ মেঘলা।",
            &stems,
            &BTreeSet::new(),
        );
        assert!(s.contains("<mark>ঢাকায়</mark>"), "{s}");
        assert!(s.contains("&lt;<mark>ঢাকার</mark>&gt;"), "{s}");
    }

    #[test]
    fn long_texts_are_cut_to_a_window_around_the_matches() {
        let text = format!("{} নির্বাচন কমিশন {}", "শব্দ ".repeat(200), "আরও ".repeat(200));
        let stems: BTreeSet<String> = [bangla::stem::stem("নির্বাচন")].into();
        let s = snippet(&text, &stems, &BTreeSet::new());
        assert!(s.contains("<mark>নির্বাচন</mark>"));
        assert!(s.starts_with('…') && s.ends_with('…'));
        assert!(s.chars().count() < SNIPPET_CHARS + 80);
    }
}

//! URL slugs for sections, tags and authors: Bengali kept as Bengali (browsers display it),
//! ASCII lowercased, everything else collapsed to single hyphens.

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// Longest slug, in characters (code points).
pub const MAX_SLUG_CHARS: usize = 80;

const ZWJ: char = '\u{200D}';
const HASANTA: char = '\u{09CD}';

/// Invisible characters that never separate words, so they vanish rather than becoming `-`.
fn is_dropped(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' // zero width space
            | '\u{200C}' // ZWNJ: only affects rendering, would make look-alike slugs differ
            | '\u{00AD}' // soft hyphen
            | '\u{2060}' // word joiner
            | '\u{FEFF}' // BOM / zero width no-break space
    )
}

/// Bengali characters that belong inside a word: letters, vowel signs, ঁ ং ঃ, nukta,
/// hasanta, ৎ and digits. Currency, fraction and punctuation signs of the block are not.
fn is_bengali_word_char(c: char) -> bool {
    match c {
        '\u{09BC}' | HASANTA => true,
        '\u{09F2}'..='\u{09FB}' => false,
        '\u{0980}'..='\u{09FF}' => c.is_alphanumeric(),
        _ => false,
    }
}

/// Turns a name into a URL slug.
///
/// The text is NFC-normalised; ASCII letters are lowercased; Bengali letters, signs and
/// digits and ASCII letters and digits are kept; ZWJ is kept between Bengali characters
/// (it distinguishes র‍্য from র্য); ZWNJ, soft hyphens and zero-width spaces are removed; any
/// other run of characters becomes one `-`. No leading or trailing `-`. The result is at
/// most [`MAX_SLUG_CHARS`] characters, cut between grapheme clusters so no letter loses its
/// signs, and never ending in `-`, hasanta or ZWJ after a cut. Input without letters or
/// digits gives an empty slug.
pub fn slugify(s: &str) -> String {
    // Removing invisibles first lets NFC compose across them (e.g. ে + ZWNJ + া → ো).
    let cleaned: String = s.chars().filter(|&c| !is_dropped(c)).collect();
    let chars: Vec<char> = cleaned.nfc().collect();

    let mut out = String::with_capacity(cleaned.len());
    let mut pending_hyphen = false;
    for (i, &c) in chars.iter().enumerate() {
        let keep = if c.is_ascii_alphanumeric() || is_bengali_word_char(c) {
            Some(c.to_ascii_lowercase())
        } else if c == ZWJ {
            let prev_ok = i
                .checked_sub(1)
                .and_then(|p| chars.get(p))
                .is_some_and(|&p| is_bengali_word_char(p));
            let next_ok = chars.get(i + 1).is_some_and(|&n| is_bengali_word_char(n));
            // Outside a Bengali word ZWJ has no effect; treat it as invisible, not a break.
            if !(prev_ok && next_ok) {
                continue;
            }
            Some(ZWJ)
        } else {
            None
        };
        match keep {
            Some(k) => {
                if pending_hyphen && !out.is_empty() {
                    out.push('-');
                }
                pending_hyphen = false;
                out.push(k);
            }
            None => pending_hyphen = true,
        }
    }

    let out: String = out.nfc().collect();
    truncate(out)
}

fn truncate(slug: String) -> String {
    if slug.chars().count() <= MAX_SLUG_CHARS {
        return slug;
    }
    let mut cut = String::new();
    let mut count = 0;
    for g in slug.graphemes(true) {
        let n = g.chars().count();
        if count + n > MAX_SLUG_CHARS {
            break;
        }
        count += n;
        cut.push_str(g);
    }
    // A cluster longer than the whole limit is not expected in text, but must not yield
    // an over-long slug; fall back to cutting by character.
    if cut.is_empty() {
        cut = slug.chars().take(MAX_SLUG_CHARS).collect();
    }
    while cut.ends_with(['-', HASANTA, ZWJ]) {
        cut.pop();
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_nfc(s: &str) -> bool {
        s.nfc().collect::<String>() == s
    }

    #[test]
    fn examples_from_the_spec() {
        assert_eq!(slugify("উত্তর কোরিয়া"), "উত্তর-কোরিয়া");
        assert_eq!(slugify("Hello, World!"), "hello-world");
        assert_eq!(slugify("  ক্ষমতা  ও  ‘নির্বাচন’ "), "ক্ষমতা-ও-নির্বাচন");
    }

    #[test]
    fn output_is_nfc_even_from_precomposed_input() {
        let decomposed_ya = "উত্তর-কোরি\u{9AF}\u{9BC}া";
        assert_eq!(slugify("উত্তর কোরি\u{9DF}া"), decomposed_ya);
        assert_eq!(slugify("উত্তর কোরিয়া"), decomposed_ya);
        assert_eq!(slugify("আষা\u{9DD}"), "আষা\u{9A2}\u{9BC}");
        assert_eq!(slugify("ক\u{9C7}\u{9BE}"), "কো");
        for s in ["উত্তর কোরি\u{9DF}া", "বড়\u{9DC}", "Hello", "র‍্যাব"]
        {
            assert!(is_nfc(&slugify(s)), "{s:?}");
        }
    }

    #[test]
    fn punctuation_and_symbols_become_single_hyphens() {
        assert_eq!(slugify("ঢাকা। চট্টগ্রাম"), "ঢাকা-চট্টগ্রাম");
        assert_eq!(slugify("রাষ্ট্রপতি’র ভাষণ"), "রাষ্ট্রপতি-র-ভাষণ");
        assert_eq!(slugify("দাম ৳৫০০ — বেড়েছে!!"), "দাম-৫০০-বেড়েছে");
        assert_eq!(slugify("a_b--c  d"), "a-b-c-d");
        assert_eq!(slugify("--খেলা--"), "খেলা");
        assert_eq!(slugify("café"), "caf");
        assert_eq!(slugify("অর্থনীতি/বাণিজ্য"), "অর্থনীতি-বাণিজ্য");
        // Currency numerators and the isshar are Bengali-block symbols, not word characters.
        assert_eq!(slugify("ক\u{9F4}খ\u{9FA}গ"), "ক-খ-গ");
    }

    #[test]
    fn letters_signs_and_digits_are_kept() {
        assert_eq!(slugify("ABC xyz 123"), "abc-xyz-123");
        assert_eq!(slugify("২০২৪ সালের নির্বাচন"), "২০২৪-সালের-নির্বাচন");
        assert_eq!(slugify("চাঁদ দুঃখ বাংলা বিদ্যুৎ"), "চাঁদ-দুঃখ-বাংলা-বিদ্যুৎ");
        assert_eq!(slugify("Covid-19 টিকা"), "covid-19-টিকা");
    }

    #[test]
    fn zwj_is_kept_only_inside_a_bengali_word() {
        let rab = "র\u{200D}\u{09CD}যাব";
        assert_eq!(slugify(rab), rab);
        assert_ne!(slugify(rab), slugify("র্যাব"));
        assert_eq!(slugify("\u{200D}খবর\u{200D}"), "খবর");
        assert_eq!(slugify("খবর \u{200D} আজ"), "খবর-আজ");
        assert_eq!(slugify("a\u{200D}b"), "ab");
    }

    #[test]
    fn invisible_characters_are_dropped_not_hyphenated() {
        assert_eq!(slugify("কি\u{200C}ছু"), "কিছু");
        assert_eq!(slugify("news\u{00AD}paper"), "newspaper");
        assert_eq!(slugify("খ\u{200B}বর"), "খবর");
        assert_eq!(slugify("\u{FEFF}খবর"), "খবর");
    }

    #[test]
    fn no_letters_gives_empty() {
        assert_eq!(slugify(""), "");
        assert_eq!(slugify("   "), "");
        assert_eq!(slugify("!!! — ।।"), "");
        assert_eq!(slugify("\u{200C}\u{200D}\u{00AD}"), "");
    }

    #[test]
    fn long_input_is_cut_to_eighty_chars() {
        let long = "ক".repeat(200);
        assert_eq!(slugify(&long), "ক".repeat(80));

        // A separator landing at the cut must not survive as a trailing hyphen.
        let words = format!("{} {}", "a".repeat(80), "b".repeat(10));
        assert_eq!(slugify(&words), "a".repeat(80));
        let words = format!("{} {}", "a".repeat(79), "b".repeat(10));
        assert_eq!(slugify(&words), "a".repeat(79));
    }

    #[test]
    fn cut_never_leaves_a_dangling_hasanta_or_splits_a_conjunct() {
        // 78 letters then ক্ষ (3 chars): the conjunct does not fit and is dropped whole.
        let s = format!("{}ক্ষ", "ক".repeat(78));
        let slug = slugify(&s);
        assert!(!slug.ends_with(HASANTA), "{slug}");
        assert_eq!(slug, "ক".repeat(78));

        // Nukta stays with its consonant: 79 letters then য় (2 chars) cannot be split.
        let s = format!("{}য়", "ক".repeat(79));
        assert_eq!(slugify(&s), "ক".repeat(79));

        // A word ending in hasanta (8 chars) ends exactly at the limit: the cut drops the
        // hyphen after it, and the hasanta left dangling at the end goes too.
        let s = format!("{} বিদ্বান্ কথা", "ক".repeat(71));
        let slug = slugify(&s);
        assert_eq!(slug, format!("{}-বিদ্বান", "ক".repeat(71)));
        // Without a cut the author's hasanta is kept.
        assert_eq!(slugify("বিদ্বান্ কথা"), "বিদ্বান্-কথা");
    }

    #[test]
    fn properties_over_varied_input() {
        let samples = [
            "উত্তর কোরিয়া",
            "  ক্ষমতা  ও  ‘নির্বাচন’ ",
            "Hello, World!",
            "র\u{200D}\u{09CD}যাব-এর অভিযান",
            &"বাংলাদেশ ক্রিকেট দল ".repeat(10),
            &"x-".repeat(100),
            &format!("{}্", "ক".repeat(100)),
            "ক্ষ".repeat(40).as_str(),
        ]
        .map(String::from);
        for s in &samples {
            let slug = slugify(s);
            assert!(slug.chars().count() <= MAX_SLUG_CHARS, "{slug}");
            assert!(!slug.starts_with('-') && !slug.ends_with('-'), "{slug}");
            assert!(!slug.contains("--"), "{slug}");
            assert!(is_nfc(&slug), "{slug:?}");
            assert!(
                slug.chars().all(|c| c == '-'
                    || c == ZWJ
                    || c.is_ascii_lowercase()
                    || c.is_ascii_digit()
                    || is_bengali_word_char(c)),
                "{slug:?}"
            );
            assert_eq!(slugify(&slug), slug, "slugify must be idempotent");
        }
    }
}

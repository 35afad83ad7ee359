//! Bengali inflection needed by the site: the genitive (possessive) suffix on names and
//! words, and the "খবর …র" news-agency credit line built from it.
//!
//! # Genitive rules
//!
//! The suffix depends on how the word *ends*, judged on its NFC form after trimming
//! whitespace:
//!
//! | Final character                                   | Suffix    | Example                     |
//! |---------------------------------------------------|-----------|-----------------------------|
//! | vowel sign (া ি ী ু ূ ৃ ে ৈ ো ৌ …) or ঁ             | `র`       | এএফপি → এএফপির, আনাদোলু → আনাদোলুর |
//! | independent ই                                     | `য়ের`     | পিটিআই → পিটিআইয়ের, বই → বইয়ের   |
//! | independent উ, except in the letter-name ইউ       | `য়ের`     | বউ → বউয়ের, ঢেউ → ঢেউয়ের         |
//! | ইউ (the letter U in acronyms)                     | `র`       | ইইউ → ইইউর                   |
//! | any other independent vowel (অ আ এ ও …)            | `র`       | সিআইএ → সিআইএর, ডব্লিউএইচও → ডব্লিউএইচওর |
//! | consonant, incl. nukta letters ড় ঢ় য়             | `ের`      | রয়টার্স → রয়টার্সের, সময় → সময়ের |
//! | consonant + hasanta                               | hasanta dropped, `ের` | বিদ্বান্ → বিদ্বানের |
//! | ৎ                                                 | ৎ → ত, `ের` | বিদ্যুৎ → বিদ্যুতের          |
//! | ং                                                 | `য়ের`     | হংকং → হংকংয়ের               |
//! | anything else (Latin, digits, punctuation, ঃ)     | `-এর`     | AFP → AFP-এর, ১৯৭১ → ১৯৭১-এর |
//!
//! Why these choices:
//! - A vowel sign cannot be followed by another vowel sign, and ে/ের cannot sit on ং, ৎ or
//!   a hasanta without producing a malformed cluster, hence the rewrites for those endings.
//! - The glide য় after final ই/উ follows standard spelling (ভাইয়ের, বউয়ের) and news usage
//!   (পিটিআইয়ের, এফবিআইয়ের). Acronyms ending in the spelled letter U are written ইইউর in
//!   Bangladeshi papers, so ইউ is the one exception.
//! - For ং, Bangla Academy prefers ঙ (রঙের), but the genitive here is mostly applied to
//!   proper names, where papers write হংকংয়ের, সিংয়ের; a name's spelling is kept intact.
//! - Monosyllables that take a glide after a vowel sign (মা → মায়ের) are not special-cased:
//!   `মার` is also in use, and names and acronyms are the main input.

use unicode_normalization::UnicodeNormalization;

const ZWNJ: char = '\u{200C}';
const ZWJ: char = '\u{200D}';
const HASANTA: char = '\u{09CD}';
const KHANDA_TA: char = 'ৎ';
const ANUSVARA: char = 'ং';
const CHANDRABINDU: char = 'ঁ';
const NUKTA: char = '\u{09BC}';

/// Suffix after a final vowel sign or most independent vowels.
const SUFFIX_AFTER_VOWEL: &str = "র";
/// Suffix after a final consonant.
const SUFFIX_AFTER_CONSONANT: &str = "ের";
/// Suffix with a য় glide, after final ই, উ and ং.
const SUFFIX_WITH_GLIDE: &str = "য়ের";
/// Suffix for text that does not end in Bengali script.
const SUFFIX_DETACHED: &str = "-এর";

fn is_vowel_sign(c: char) -> bool {
    matches!(
        c,
        '\u{09BE}'
            ..='\u{09C4}'
                | '\u{09C7}'
                | '\u{09C8}'
                | '\u{09CB}'
                | '\u{09CC}'
                | '\u{09D7}'
                | '\u{09E2}'
                | '\u{09E3}'
    )
}

fn is_independent_vowel(c: char) -> bool {
    matches!(c, '\u{0985}'..='\u{0994}' | '\u{09E0}' | '\u{09E1}')
}

fn is_consonant(c: char) -> bool {
    matches!(
        c,
        '\u{0995}'..='\u{09B9}' | '\u{09DC}' | '\u{09DD}' | '\u{09DF}' | '\u{09F0}' | '\u{09F1}'
    )
}

/// `word` with the Bengali genitive suffix attached; see the module docs for the rules.
/// Surrounding whitespace is trimmed; empty input gives an empty string. Output is NFC.
pub fn genitive(word: &str) -> String {
    let nfc: String = word.trim().nfc().collect();
    // A trailing joiner is invisible and would split the suffix from the word.
    let mut base = nfc.trim_end_matches([ZWJ, ZWNJ]).to_string();
    let mut chars = base.chars().rev();
    let Some(last) = chars.next() else {
        return String::new();
    };
    let before = chars.next();

    let suffix = if is_vowel_sign(last) || last == CHANDRABINDU {
        SUFFIX_AFTER_VOWEL
    } else if last == 'ই' || (last == 'উ' && before != Some('ই')) {
        SUFFIX_WITH_GLIDE
    } else if is_independent_vowel(last) {
        SUFFIX_AFTER_VOWEL
    } else if last == ANUSVARA {
        SUFFIX_WITH_GLIDE
    } else if last == KHANDA_TA {
        base.pop();
        base.push('ত');
        SUFFIX_AFTER_CONSONANT
    } else if last == HASANTA && before.is_some_and(|b| is_consonant(b) || b == NUKTA) {
        base.pop();
        SUFFIX_AFTER_CONSONANT
    } else if is_consonant(last) || (last == NUKTA && before.is_some_and(is_consonant)) {
        SUFFIX_AFTER_CONSONANT
    } else {
        SUFFIX_DETACHED
    };
    base.push_str(suffix);
    // Appending to NFC text can in principle create a new composition, so renormalise.
    base.nfc().collect()
}

/// Splits a credit such as `"এএফপি, রয়টার্স ও এপি"` into agency names. Separators are
/// commas, `/`, `;` and the words `ও` / `এবং`; whitespace inside a name is collapsed.
fn split_agencies(credit: &str) -> Vec<String> {
    let credit: String = credit.nfc().collect();
    let mut names = Vec::new();
    for chunk in credit.split([',', '/', ';']) {
        let mut words: Vec<&str> = Vec::new();
        for w in chunk.split_whitespace() {
            if w == "ও" || w == "এবং" {
                if !words.is_empty() {
                    names.push(words.join(" "));
                    words.clear();
                }
            } else {
                words.push(w);
            }
        }
        if !words.is_empty() {
            names.push(words.join(" "));
        }
    }
    names
}

/// The credit line for agency copy: `"এএফপি"` → `"খবর এএফপির"`. Several agencies, given
/// with commas, `/`, `;`, `ও` or `এবং`, are listed Bengali-style with `ও` before the last,
/// and only the last takes the genitive: `"এএফপি, রয়টার্স"` → `"খবর এএফপি ও রয়টার্সের"`.
/// Empty if no agency name is present.
pub fn agency_credit_line(credit: &str) -> String {
    let names = split_agencies(credit);
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => format!("খবর {}", genitive(last)),
        Some((last, rest)) => format!("খবর {} ও {}", rest.join(", "), genitive(last)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_nfc(s: &str) -> bool {
        s.nfc().collect::<String>() == s
    }

    #[test]
    fn news_usage_examples() {
        let cases = [
            ("পিটিআই", "পিটিআইয়ের"),
            ("বিবিসি", "বিবিসির"),
            ("সিএনএন", "সিএনএনের"),
            ("আল জাজিরা", "আল জাজিরার"),
            ("এএফপি", "এএফপির"),
            ("রয়টার্স", "রয়টার্সের"),
            ("বাসস", "বাসসের"),
            ("ইউএনবি", "ইউএনবির"),
            ("আনাদোলু", "আনাদোলুর"),
            ("সিনহুয়া", "সিনহুয়ার"),
            ("এপি", "এপির"),
            ("AFP", "AFP-এর"),
        ];
        for (word, want) in cases {
            assert_eq!(genitive(word), want, "{word}");
        }
    }

    #[test]
    fn every_vowel_sign_takes_ra() {
        for sign in ["া", "ি", "ী", "ু", "ূ", "ৃ", "ে", "ৈ", "ো", "ৌ"] {
            let word = format!("ক{sign}");
            assert_eq!(genitive(&word), format!("{word}র"), "{word}");
        }
        assert_eq!(genitive("ইউনেসকো"), "ইউনেসকোর");
        assert_eq!(genitive("বিজেপি"), "বিজেপির");
        // ঁ sits on a vowel, so the word still ends in a vowel.
        assert_eq!(genitive("গাঁ"), "গাঁর");
    }

    #[test]
    fn final_independent_vowels() {
        assert_eq!(genitive("এফবিআই"), "এফবিআইয়ের");
        assert_eq!(genitive("বই"), "বইয়ের");
        assert_eq!(genitive("বউ"), "বউয়ের");
        assert_eq!(genitive("ঢেউ"), "ঢেউয়ের");
        assert_eq!(genitive("ইইউ"), "ইইউর");
        assert_eq!(genitive("সিআইএ"), "সিআইএর");
        assert_eq!(genitive("ডব্লিউএইচও"), "ডব্লিউএইচওর");
        assert_eq!(genitive("আইএলও"), "আইএলওর");
        assert_eq!(genitive("ও"), "ওর");
    }

    #[test]
    fn final_consonants() {
        assert_eq!(genitive("ভারত"), "ভারতের");
        assert_eq!(genitive("জাতিসংঘ"), "জাতিসংঘের");
        assert_eq!(genitive("আইএমএফ"), "আইএমএফের");
        assert_eq!(genitive("সময়"), "সময়ের");
        assert_eq!(genitive("পাহাড়"), "পাহাড়ের");
        assert_eq!(genitive("আষাঢ়"), "আষাঢ়ের");
    }

    #[test]
    fn endings_that_must_be_rewritten() {
        assert_eq!(genitive("বিদ্যুৎ"), "বিদ্যুতের");
        assert_eq!(genitive("জগৎ"), "জগতের");
        assert_eq!(genitive("হংকং"), "হংকংয়ের");
        assert_eq!(genitive("বিদ্বান্"), "বিদ্বানের");
    }

    #[test]
    fn non_bengali_endings_are_detached() {
        assert_eq!(genitive("Reuters"), "Reuters-এর");
        assert_eq!(genitive("এএফপি AFP"), "এএফপি AFP-এর");
        assert_eq!(genitive("১৯৭১"), "১৯৭১-এর");
        assert_eq!(genitive("G20"), "G20-এর");
        assert_eq!(genitive("Agence France-Presse"), "Agence France-Presse-এর");
    }

    #[test]
    fn whitespace_and_empty() {
        assert_eq!(genitive(""), "");
        assert_eq!(genitive("   \t\n"), "");
        assert_eq!(genitive("  এএফপি  "), "এএফপির");
        assert_eq!(genitive("রয়টার্স\u{200D}"), "রয়টার্সের");
    }

    #[test]
    fn input_is_normalised() {
        // Precomposed য় (U+09DF) must come out as য + nukta like everything else.
        assert_eq!(genitive("র\u{9DF}টার্স"), "রয়টার্সের");
        assert_eq!(genitive("সম\u{9DF}"), "সময়ের");
        // ে + ৗ composes to ৌ under NFC.
        assert_eq!(genitive("ক\u{9C7}\u{9D7}"), "কৌর");
    }

    #[test]
    fn outputs_are_nfc() {
        let words = [
            "পিটিআই",
            "রয়টার্স",
            "সিনহুয়া",
            "বিদ্যুৎ",
            "হংকং",
            "বউ",
            "AFP",
            "র\u{9DF}টার্স",
        ];
        for w in words {
            let g = genitive(w);
            assert!(is_nfc(&g), "{g:?}");
            let line = agency_credit_line(w);
            assert!(is_nfc(&line), "{line:?}");
        }
        for s in [
            SUFFIX_AFTER_VOWEL,
            SUFFIX_AFTER_CONSONANT,
            SUFFIX_WITH_GLIDE,
            SUFFIX_DETACHED,
        ] {
            assert!(is_nfc(s), "{s:?}");
        }
        assert_eq!(SUFFIX_WITH_GLIDE, "\u{9AF}\u{9BC}\u{9C7}\u{9B0}");
    }

    #[test]
    fn credit_line_single() {
        assert_eq!(agency_credit_line("এএফপি"), "খবর এএফপির");
        assert_eq!(agency_credit_line("পিটিআই"), "খবর পিটিআইয়ের");
        assert_eq!(agency_credit_line("  আল   জাজিরা "), "খবর আল জাজিরার");
        assert_eq!(agency_credit_line("AFP"), "খবর AFP-এর");
    }

    #[test]
    fn credit_line_several() {
        assert_eq!(agency_credit_line("এএফপি, রয়টার্স"), "খবর এএফপি ও রয়টার্সের");
        assert_eq!(agency_credit_line("এএফপি ও রয়টার্স"), "খবর এএফপি ও রয়টার্সের");
        assert_eq!(agency_credit_line("এএফপি এবং রয়টার্স"), "খবর এএফপি ও রয়টার্সের");
        assert_eq!(agency_credit_line("এএফপি/রয়টার্স"), "খবর এএফপি ও রয়টার্সের");
        assert_eq!(
            agency_credit_line("এএফপি, রয়টার্স ও এপি"),
            "খবর এএফপি, রয়টার্স ও এপির"
        );
        assert_eq!(
            agency_credit_line("বাসস, ইউএনবি, আল জাজিরা"),
            "খবর বাসস, ইউএনবি ও আল জাজিরার"
        );
        assert_eq!(agency_credit_line("AFP, Reuters"), "খবর AFP ও Reuters-এর");
        assert_eq!(
            agency_credit_line("এএফপি,, ও রয়টার্স,"),
            "খবর এএফপি ও রয়টার্সের"
        );
    }

    #[test]
    fn credit_line_empty() {
        assert_eq!(agency_credit_line(""), "");
        assert_eq!(agency_credit_line("   "), "");
        assert_eq!(agency_credit_line(" , ও / "), "");
    }
}

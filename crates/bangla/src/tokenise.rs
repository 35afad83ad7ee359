//! Word tokenisation for search: splits text into words without breaking Bengali words
//! at hasanta, nukta, vowel signs, ZWJ or ZWNJ, and reports where each word is in the
//! original text so a highlighter can wrap the exact substring.
//!
//! This module owns [`Token`] and [`tokenise`].
//!
//! # Rules
//!
//! The scan runs on the *original* text (so offsets are exact) and puts every character
//! in one class:
//!
//! - **Bengali**: letters and combining marks of the Bengali block (hasanta, nukta, vowel
//!   signs, chandrabindu, anusvara, visarga, ৎ …);
//! - **digit**: ASCII `0-9` and Bengali `০-৯`;
//! - **other letter**: any other alphanumeric character (Latin, Arabic, …);
//! - **transparent**: ZWJ, ZWNJ and the invisibles that [`normalise`](crate::normalise::normalise) removes (soft
//!   hyphen, ZWSP, word joiner, LRM/RLM, BOM, U+009D). They never end a word;
//! - non-Bengali **combining marks** continue the word they follow;
//! - everything else (space, punctuation, symbols, `।`) separates words.
//!
//! A token is a maximal run of one class (plus transparent characters and marks), so a
//! change of class is a boundary: `কোভিড১৯` → `কোভিড`, `19`; `৩০টি` → `30`, `টি`;
//! `5g` → `5`, `g`; `iPhoneটি` → `iphone`, `টি`. This lets ASCII `30` find Bengali `৩০টি`.
//!
//! Joining punctuation, which stays inside one token:
//!
//! - an apostrophe (`'`, `’`, `‘`, `ʼ`) between two letters of the same class; it is
//!   dropped from the token text: `তা’আলা` → `তাআলা`, `উমরাহ’র` → `উমরাহর`, `don't` →
//!   `dont`;
//! - `.` between digits (decimal point, kept): `৬.৫` → `6.5`;
//! - `,` between digits when exactly two or three digits follow (Indian and Western digit
//!   grouping; dropped): `১,২৭,১৯৮` → `127198`. `১৯৭১,১৯৭৫` stays two numbers.
//!
//! **Hyphens, en and em dashes and slashes separate words.** Decision: a hyphenated
//! compound gives one token per part (`কিম-পুতিনের` → `কিম`, `পুতিনের`; `কোভিড-19` →
//! `কোভিড`, `19`), so a search for either part finds it, and consecutive positions still
//! let a phrase query match the whole compound.
//!
//! A run with no letter or digit (for example a stray vowel sign after a space) gives no
//! token.
//!
//! # Token text and offsets
//!
//! [`Token::text`] is [`normalise_for_search`] of the run (so decomposed ড়/য়, ৎ written
//! as ত্‍, split ো/ৌ, ZWJ/ZWNJ and case all fold away, and ১৪২৬ and 1426 give the same
//! text `1426`). [`Token::start`] and [`Token::end`] are byte offsets of the run in the
//! original input, on char boundaries: `&input[t.start..t.end]` is the surface form.
//! Transparent characters at the end of a run are only included when they change the
//! token text (the ZWJ of a word-final ত্‍).

use crate::normalise::{
    fold_digit, is_bengali_mark, is_ignorable, is_search_normal, normalise_for_search,
};
use unicode_normalization::char::is_combining_mark;

/// One word of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The word in search form ([`normalise_for_search`], minus joining apostrophes and
    /// digit-group commas).
    pub text: String,
    /// Byte offset of the word's first character in the original input.
    pub start: usize,
    /// Byte offset just past the word's last character in the original input.
    pub end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Bengali,
    Digit,
    Other,
    /// A non-Bengali combining mark: continues any word.
    Mark,
    Transparent,
    Apostrophe,
    Separator,
}

fn class(c: char) -> Class {
    match c {
        '0'..='9' | '\u{09E6}'..='\u{09EF}' => Class::Digit,
        '\u{200C}' | '\u{200D}' => Class::Transparent,
        _ if is_ignorable(c) => Class::Transparent,
        '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' => Class::Apostrophe,
        // Bengali currency signs, numerators (incl. ৷), isshar, abbreviation sign.
        '\u{09F2}'..='\u{09FB}' | '\u{09FD}' => Class::Separator,
        '\u{0980}'..='\u{09FF}' => Class::Bengali,
        _ if is_combining_mark(c) => Class::Mark,
        _ if c.is_alphanumeric() => Class::Other,
        _ => Class::Separator,
    }
}

fn is_base(c: char) -> bool {
    match class(c) {
        Class::Digit | Class::Other => true,
        Class::Bengali => !is_bengali_mark(c),
        _ => false,
    }
}

/// Splits `text` into words. See the module docs for the rules.
pub fn tokenise(text: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let classes: Vec<Class> = chars.iter().map(|&(_, c)| class(c)).collect();
    let byte_at = |i: usize| chars.get(i).map_or(text.len(), |&(b, _)| b);
    // Index of the first non-transparent character at or after `i`.
    let solid = |mut i: usize| {
        while i < classes.len() && classes[i] == Class::Transparent {
            i += 1;
        }
        i
    };

    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let run_class = match classes[i] {
            Class::Bengali | Class::Digit | Class::Other => classes[i],
            Class::Mark => Class::Other,
            _ => {
                i += 1;
                continue;
            }
        };
        let start = i;
        let mut end = i + 1; // one past the last character that belongs to the word
        let mut j = i + 1;
        while j < chars.len() {
            let cj = classes[j];
            if cj == run_class || cj == Class::Mark {
                j += 1;
                end = j;
            } else if cj == Class::Transparent {
                j += 1;
            } else if joins(&chars, &classes, run_class, j, &solid) {
                j += 1;
                end = j;
            } else {
                break;
            }
        }
        i = end;
        if !chars[start..end].iter().any(|&(_, c)| is_base(c)) {
            continue;
        }
        let surface = |to: usize| &text[byte_at(start)..byte_at(to)];
        let mut text_out = token_text(surface(end));
        let mut last = end;
        // Trailing transparent characters count only if they change the word (ত্‍ → ৎ).
        let trail_end = solid(end);
        if trail_end > end {
            let with_trail = token_text(surface(trail_end));
            if with_trail != text_out {
                text_out = with_trail;
                last = trail_end;
                i = trail_end;
            }
        }
        if text_out.is_empty() {
            continue;
        }
        tokens.push(Token {
            text: text_out,
            start: byte_at(start),
            end: byte_at(last),
        });
    }
    tokens
}

/// The search form of one word's surface: [`normalise_for_search`], then without the
/// joining apostrophes and digit-group commas (inside a word, these are the only ones).
/// They are removed after normalising, so that the text is the same as for the
/// normalised input.
fn token_text(surface: &str) -> String {
    let kept = |c: &char| !matches!(c, '\'' | '\u{02BC}' | ',');
    if is_search_normal(surface) {
        // Nearly every word: one pass, one allocation.
        let mut out = String::with_capacity(surface.len());
        out.extend(surface.chars().map(fold_digit).filter(kept));
        return out;
    }
    normalise_for_search(surface).chars().filter(kept).collect()
}

/// Whether the punctuation at `j` joins the two parts of a word of class `run`.
fn joins(
    chars: &[(usize, char)],
    classes: &[Class],
    run: Class,
    j: usize,
    solid: &dyn Fn(usize) -> usize,
) -> bool {
    let next = solid(j + 1);
    let next_class = classes.get(next).copied();
    match (classes[j], chars[j].1) {
        (Class::Apostrophe, _) => run != Class::Digit && next_class == Some(run),
        (_, '.') => run == Class::Digit && next_class == Some(Class::Digit),
        (_, ',') if run == Class::Digit => {
            // Count the digits after the comma (ignoring transparent characters).
            let mut k = next;
            let mut digits = 0;
            while k < classes.len() && classes[k] == Class::Digit {
                digits += 1;
                k = solid(k + 1);
            }
            (2..=3).contains(&digits)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        tokenise(s).into_iter().map(|t| t.text).collect()
    }

    /// (text, surface) pairs, checking that every offset pair slices the input.
    fn spans(s: &str) -> Vec<(String, &str)> {
        tokenise(s)
            .into_iter()
            .map(|t| {
                let surface = &s[t.start..t.end];
                (t.text, surface)
            })
            .collect()
    }

    #[test]
    fn golden_bengali_sentence_with_offsets() {
        let s = "নির্বাচনে ক্ষমতা, ঢাকায়।";
        let got = tokenise(s);
        let want = [("নির্বাচনে", 0, 27), ("ক্ষমতা", 28, 46), ("ঢাকায়", 48, 63)];
        assert_eq!(got.len(), want.len());
        for (t, (text, start, end)) in got.iter().zip(want) {
            assert_eq!((t.text.as_str(), t.start, t.end), (text, start, end));
            assert_eq!(&s[t.start..t.end], text);
        }
    }

    #[test]
    fn hasanta_conjuncts_stay_in_one_word() {
        assert_eq!(texts("ক্ষমতা"), ["ক্ষমতা"]);
        assert_eq!(texts("নির্বাচন"), ["নির্বাচন"]);
        assert_eq!(texts("প্রধানমন্ত্রীর বৈঠকে"), ["প্রধানমন্ত্রীর", "বৈঠকে"]);
    }

    #[test]
    fn nukta_letters_in_both_encodings() {
        let composed = "বড়"; // U+09DC
        let decomposed = "বড\u{09BC}";
        assert_eq!(spans(composed), [("বড়".to_string(), composed)]);
        assert_eq!(spans(decomposed), [("বড়".to_string(), decomposed)]);
        let composed = "শোভাযাত্রায়"; // U+09DF
        let decomposed = "শোভাযাত্রায\u{09BC}";
        assert_eq!(texts(composed), texts(decomposed));
        assert_eq!(texts(decomposed), ["শোভাযাত্রায়"]);
        assert!(texts(decomposed)[0].ends_with('\u{09DF}'));
    }

    #[test]
    fn ra_ya_phala_with_and_without_zwj() {
        let with_zwj = "র\u{200D}\u{09CD}যাবের অভিযান";
        let other_order = "র\u{09CD}\u{200D}যাবের অভিযান";
        let plain = "র্যাবের অভিযান";
        assert_eq!(texts(with_zwj), ["র্যাবের", "অভিযান"]);
        assert_eq!(texts(other_order), texts(with_zwj));
        assert_eq!(texts(plain), texts(with_zwj));
        let t = &tokenise(with_zwj)[0];
        assert_eq!(&with_zwj[t.start..t.end], "র\u{200D}\u{09CD}যাবের");
    }

    #[test]
    fn two_part_vowels() {
        let one = "চরমোনাই মৌলভী";
        let two = "চরম\u{09C7}\u{09BE}নাই ম\u{09C7}\u{09D7}লভী";
        assert_eq!(texts(one), texts(two));
        let got = spans(two);
        assert_eq!(got[0].1, "চরম\u{09C7}\u{09BE}নাই");
        assert_eq!(got[1].1, "ম\u{09C7}\u{09D7}লভী");
    }

    #[test]
    fn khanda_ta_both_ways() {
        let a = "মৎস্য দুর্গোৎসব হঠাৎ";
        let b = "মত\u{09CD}\u{200D}স্য দুর্গোত\u{09CD}\u{200D}সব হঠাত\u{09CD}\u{200D}";
        assert_eq!(texts(a), ["মৎস্য", "দুর্গোৎসব", "হঠাৎ"]);
        assert_eq!(texts(b), texts(a));
        // the word-final ZWJ belongs to the token, because it makes the ৎ
        let last = tokenise(b).pop().unwrap();
        assert_eq!(&b[last.start..last.end], "হঠাত\u{09CD}\u{200D}");
        // a meaningless trailing ZWJ is not included
        let c = "ঢাকা\u{200D} শহর";
        assert_eq!(spans(c)[0].1, "ঢাকা");
    }

    #[test]
    fn stray_zwnj_inside_word() {
        assert_eq!(texts("সত্য\u{200C}প্রিয়"), ["সত্যপ্রিয়"]);
        assert_eq!(spans("ধর্ম\u{200C}ভিত্তিক")[0].1, "ধর্ম\u{200C}ভিত্তিক");
    }

    #[test]
    fn bengali_and_ascii_digits() {
        assert_eq!(texts("১৪২৬"), texts("1426"));
        assert_eq!(texts("২০২৪ সালে"), ["2024", "সালে"]);
        let s = "৩০টি পণ্য";
        assert_eq!(
            spans(s),
            [
                ("30".to_string(), "৩০"),
                ("টি".to_string(), "টি"),
                ("পণ্য".to_string(), "পণ্য")
            ]
        );
        assert_eq!(texts("৬.৫ ট্রিলিয়ন"), ["6.5", "ট্রিলিয়ন"]);
        assert_eq!(texts("১,২৭,১৯৮ জন"), ["127198", "জন"]);
        assert_eq!(texts("1,000"), ["1000"]);
        assert_eq!(texts("১৯৭১,১৯৭৫"), ["1971", "1975"]);
        assert_eq!(texts("সাল ১৯৭১."), ["সাল", "1971"]);
    }

    #[test]
    fn mixed_bengali_and_english() {
        let s = "COVID-19 টিকা";
        assert_eq!(
            spans(s),
            [
                ("covid".to_string(), "COVID"),
                ("19".to_string(), "19"),
                ("টিকা".to_string(), "টিকা")
            ]
        );
        assert_eq!(texts("কোভিড-19"), ["কোভিড", "19"]);
        assert_eq!(texts("কোভিড-১৯"), texts("কোভিড-19"));
        assert_eq!(
            texts("Zero Carbon 5G নেটওয়ার্ক"),
            ["zero", "carbon", "5", "g", "নেটওয়ার্ক"]
        );
        assert_eq!(texts("৫জি"), ["5", "জি"]);
        assert_eq!(texts("iPhoneটি"), ["iphone", "টি"]);
        assert_eq!(texts("BNP-র নেতা"), ["bnp", "র", "নেতা"]);
    }

    /// Decision: hyphenated compounds give one token per part.
    #[test]
    fn hyphen_compounds_split() {
        let s = "কিম-পুতিনের বৈঠক";
        assert_eq!(
            spans(s),
            [
                ("কিম".to_string(), "কিম"),
                ("পুতিনের".to_string(), "পুতিনের"),
                ("বৈঠক".to_string(), "বৈঠক")
            ]
        );
        assert_eq!(texts("ঢাকা–চট্টগ্রাম"), ["ঢাকা", "চট্টগ্রাম"]);
    }

    #[test]
    fn apostrophes_join_words() {
        assert_eq!(texts("আল্লাহ তা’আলা"), ["আল্লাহ", "তাআলা"]);
        assert_eq!(texts("‘রিয়া’র"), ["রিয়ার"]);
        assert_eq!(spans("‘রিয়া’র")[0].1, "রিয়া’র");
        assert_eq!(texts("don't"), ["dont"]);
        // a closing quote before a space is not part of the word
        assert_eq!(spans("‘ঈদ’ এলো")[0].1, "ঈদ");
    }

    #[test]
    fn punctuation_and_dari() {
        assert_eq!(
            texts("ঢাকা। খুলনা৷ রাজশাহী, সিলেট; (বরিশাল)"),
            ["ঢাকা", "খুলনা", "রাজশাহী", "সিলেট", "বরিশাল"]
        );
        assert_eq!(texts("৳৫০০"), ["500"]);
        assert!(tokenise("").is_empty());
        assert!(tokenise(" ।,\u{200D} \u{09BE}").is_empty());
    }

    #[test]
    fn invisibles_do_not_split() {
        assert_eq!(texts("আল্ল\u{00AD}াহর"), ["আল্লাহর"]);
        assert_eq!(texts("সা\u{200B}দিকের"), ["সাদিকের"]);
        assert_eq!(texts("তীক্ষ\u{009D} বুদ্ধি"), ["তীক্ষ", "বুদ্ধি"]);
    }

    #[test]
    fn chandrabindu_and_visarga_inside_words() {
        assert_eq!(texts("চাঁদ দুঃখ (সাঃ)"), ["চাঁদ", "দুঃখ", "সাঃ"]);
        assert_eq!(texts("চ\u{0981}\u{09BE}দ"), ["চাঁদ"]);
    }

    #[test]
    fn same_tokens_after_normalising_first() {
        for s in [
            "র‍্যাব ক্ষমতা বড\u{09BC} ফাস\u{09C7}\u{09BE} লুত\u{09CD}\u{200D}ফর ৩০টি",
            "আল্ল\u{00AD}াহ তা’আলা ‘রিয়া’র ১,২৭,১৯৮ ৷ COVID-19",
        ] {
            assert_eq!(texts(s), texts(&crate::normalise::normalise(s)), "{s}");
        }
    }

    mod props {
        use super::super::tokenise;
        use crate::normalise::normalise;
        use crate::normalise::tests::props::{bengali_heavy, bengali_heavy_no_foreign_marks};
        use proptest::prelude::*;

        fn check_offsets(s: &str) -> Result<(), TestCaseError> {
            let mut prev_end = 0;
            for t in tokenise(s) {
                prop_assert!(s.is_char_boundary(t.start) && s.is_char_boundary(t.end));
                prop_assert!(t.start < t.end, "{:?}", t);
                prop_assert!(t.start >= prev_end, "overlap at {:?}", t);
                prop_assert!(!t.text.is_empty());
                prop_assert!(!s[t.start..t.end].is_empty());
                prev_end = t.end;
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

            #[test]
            fn offsets_on_anything(s in any::<String>()) {
                check_offsets(&s)?;
            }

            #[test]
            fn offsets_on_bengali(s in bengali_heavy()) {
                check_offsets(&s)?;
            }

            /// Tokenising normalised text gives the same words. (Not for text with marks of
            /// other scripts, which normalisation may move past Bengali marks.)
            #[test]
            fn same_texts_after_normalising(s in bengali_heavy_no_foreign_marks()) {
                let a: Vec<String> = tokenise(&s).into_iter().map(|t| t.text).collect();
                let b: Vec<String> = tokenise(&normalise(&s)).into_iter().map(|t| t.text).collect();
                prop_assert_eq!(a, b);
            }
        }
    }
}
